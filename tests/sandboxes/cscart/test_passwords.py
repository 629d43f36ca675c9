"""API 2.0 ignores `password` on create and update (CS-Cart source,
Tygh/Api/Entities/v20/Users.php): the write succeeds and the password is not set. Only the
admin panel sets one; the storefront login tells."""

from tests.integrations.providers.cscart.conftest import unique_email


def _login(control, email: str, password: str) -> bool:
    return control.act("storefront_login", {"email": email, "password": password})["ok"]


def test_a_password_sent_on_create_is_ignored(api, control):
    email = unique_email("pw")
    body = {"email": email, "user_type": "C", "company_id": 1, "password": "s3cret-pass"}
    response = api.post("/users", json=body)
    assert response.status_code == 201, response.text
    assert not _login(control, email, "s3cret-pass")


def test_a_password_sent_on_update_is_ignored_and_keeps_the_old_one(api, control):
    email = unique_email("pw")
    made = control.act(
        "store_create_user", {"email": email, "user_type": "C", "password": "set-in-admin"}
    )
    assert _login(control, email, "set-in-admin")
    response = api.put(f"/users/{made['user_id']}", json={"password": "changed-by-api"})
    assert response.status_code == 200, response.text
    assert response.json() == {"user_id": made["user_id"], "profile_id": made["user_id"]}
    assert not _login(control, email, "changed-by-api")
    assert _login(control, email, "set-in-admin")
    # Nothing about it is printed back.
    assert "password" not in str(api.get(f"/users/{made['user_id']}").json())
