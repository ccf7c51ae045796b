from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tongxin.accounts"
    label = "accounts"
    verbose_name = "账号与角色"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import ApiToken, RoleAssignment, User
        from .services import forget_tokens

        for model in (ApiToken, User, RoleAssignment):
            post_save.connect(forget_tokens, sender=model, dispatch_uid=f"forget-tokens-save-{model.__name__}")
            post_delete.connect(forget_tokens, sender=model, dispatch_uid=f"forget-tokens-delete-{model.__name__}")
