"""Authentication backend that honours the login lockout. Filled in by accounts."""

from django.contrib.auth.backends import ModelBackend


class LockoutAwareBackend(ModelBackend):
    pass
