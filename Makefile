# Two commands for a newcomer:  make run  (demo on SQLite)  ·  make test  (whole suite)
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test install migrate demo lint e2e worker clean messages

$(BIN)/python:
	$(shell command -v $(PY) >/dev/null 2>&1 && echo $(PY) || echo python3) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install -q -r requirements.lock
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput -v0

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo
	$(BIN)/python manage.py collectstatic --noinput -v0
	@echo "Tongxin: http://127.0.0.1:$(PORT)/  (Ctrl-C stops the server, the task worker and the scheduler)"
	@bash scripts/run.sh $(PORT)

worker: install
	$(BIN)/python manage.py db_worker

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Refresh translation catalogues: extract, derive zh-Hant from zh-Hans, compile (needs gettext).
APPS := orgs people grids dataio notify orders lists routing governance meetings deliberation rhythm
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans $(foreach a,$(APPS),--ignore 'tongxin/$(a)/*') --ignore '.venv/*' --ignore 'bench/*'
	for a in $(APPS); do (cd tongxin/$$a && ../../$(BIN)/python ../../manage.py makemessages -l zh_Hans); done
	$(BIN)/python scripts/i18n.py hant
	cd tongxin && ../$(BIN)/python ../manage.py compilemessages
	$(BIN)/python scripts/i18n.py check

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
