from django.urls import path

from tipline.accounts import passkey_views, recovery_views, views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("sign-in/activate/", views.activate, name="activate"),
    path("sign-in/recover/", recovery_views.recover_password, name="recover_password"),
    path("sign-in/new-authenticator/", recovery_views.new_authenticator, name="new_authenticator"),
    path("sign-in/new-authenticator/enrol/", recovery_views.new_authenticator_enrol, name="new_authenticator_enrol"),
    path("password/", recovery_views.change_password, name="change_password"),
    path("confirm-password/", views.confirm_password, name="confirm_password"),
    path("passkeys/", passkey_views.passkey_list, name="passkeys"),
    path("passkeys/options/", passkey_views.registration_options, name="passkey_options"),
    path("passkeys/register/", passkey_views.register, name="passkey_register"),
    path("sign-in/passkey/options/", passkey_views.sign_in_options, name="passkey_sign_in_options"),
    path("sign-in/passkey/", passkey_views.sign_in_with_passkey, name="passkey_sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("preferences/", views.preferences, name="preferences"),
    path("api-tokens/", views.api_tokens, name="api_tokens"),
    path("api-tokens/<uuid:token_id>/revoke/", views.revoke_api_token, name="revoke_api_token"),
]
