from django.contrib.auth.backends import ModelBackend

from tongxin.core.crypto import lookup_hash
from tongxin.core.validators import MOBILE_RE, normalize_phone

from .models import User


class PhoneOrUsernameBackend(ModelBackend):
    """Log in with a username, or with the phone number on the user's person record."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            phone = normalize_phone(username)
            if MOBILE_RE.match(phone):
                user = User.objects.filter(person__phone_hash=lookup_hash(phone)).first()
        if user is None:
            User().set_password(password)  # same work either way: no timing hint
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        # Every page names the user in its menu (User.__str__ reads the person): one query, not two.
        user = User._default_manager.select_related("person").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
