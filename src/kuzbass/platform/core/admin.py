"""Django's user admin, with the platform's rule for usernames (``core.usernames``) when an
account is added or renamed there."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import User

from kuzbass.platform.core.errors import ServiceError
from kuzbass.platform.core.usernames import check_username


def _clean_username(form: forms.ModelForm) -> Any:
    try:
        return check_username(form.cleaned_data.get("username"), exclude=form.instance.pk)
    except ServiceError as error:
        raise forms.ValidationError(error.message) from error


class UserCreation(AdminUserCreationForm):
    def clean_username(self) -> Any:
        return _clean_username(self)


class UserChange(UserChangeForm):
    def clean_username(self) -> Any:
        return _clean_username(self)


class PlatformUserAdmin(UserAdmin):
    form = UserChange
    add_form = UserCreation


admin.site.unregister(User)
admin.site.register(User, PlatformUserAdmin)
