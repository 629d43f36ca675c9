"""CS-Cart users and user groups as the client returns them, and the bodies it sends.

CS-Cart prints every number as a string ("user_id": "42", "timestamp": "1735689600"), except
in the answers to writes (`{"user_id": 42, "profile_id": 42}`); the models keep the string
form for reads, so what the field catalogue describes is what the API said, and turn the
integers of write answers into the same strings. Responses keep unknown fields
(`extra="allow"`): stores run add-ons that add columns, and a sync must not drop them.
Request bodies forbid unknown fields, so a typo fails here instead of being ignored there
(CS-Cart silently ignores fields it does not know).
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator


def _as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


NumberText = Annotated[str, BeforeValidator(_as_text)]
OptionalNumberText = Annotated[str | None, BeforeValidator(_as_text)]

CUSTOMER = "C"
ADMIN = "A"
VENDOR = "V"  # Multi-Vendor's vendor administrators


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Body(BaseModel):
    # Errors never echo the input: it may hold a password.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, hide_input_in_errors=True)

    def payload(self) -> dict:
        # Unset fields are left out; CS-Cart only changes the fields a PUT names.
        return self.model_dump(exclude_unset=True, by_alias=True)


class UserGroupLink(_Response):
    usergroup_id: NumberText
    status: str  # A active, P pending, D declined (F = not a member; never listed)


class User(_Response):
    """One row of `GET /users` (and `GET /users/<id>`). Addresses and profile fields are not
    part of it on most 4.x versions: they are write-only through this API (see fields.py)."""

    user_id: NumberText
    user_login: str | None = None
    is_root: str | None = None  # Y/N
    timestamp: OptionalNumberText = None  # creation time, Unix seconds; there is no "updated"
    user_type: str | None = None  # C customer, A administrator, V vendor
    status: str | None = None  # A active, D disabled (H hidden on old versions)
    firstname: str | None = None
    lastname: str | None = None
    email: str | None = None
    company: str | None = None
    company_id: OptionalNumberText = None
    phone: str | None = None
    company_name: str | None = None

    @property
    def id(self) -> str:
        return self.user_id

    @property
    def is_customer(self) -> bool:
        return self.user_type == CUSTOMER

    @property
    def created_at(self) -> datetime | None:
        if not self.timestamp or not self.timestamp.isdigit():
            return None
        return datetime.fromtimestamp(int(self.timestamp), tz=UTC)


class UserGroup(_Response):
    usergroup_id: NumberText
    usergroup: str | None = None  # the group's name
    type: str | None = None  # C customer group, A administrator group
    status: str | None = None  # A active, H hidden, D disabled


class WriteResult(_Response):
    user_id: NumberText
    profile_id: OptionalNumberText = None


PASSWORD_REFUSED = (
    "CS-Cart's API 2.0 ignores passwords on create and update (it answers success and "
    "keeps the old one), so ContactBridge cannot set one: the customer sets it from the "
    "storefront (“Forgot your password?”) or an administrator in the admin panel."
)


class CustomerInput(_Body):
    """What a create or update may send. `user_type` is not here on purpose: the client sets
    "C" on create and never sends it on update, so a sync can never turn an administrator
    into a customer or the other way round. Nor is `password`: API 2.0 silently ignores it
    (CS-Cart source, Tygh/Api/Entities/v20/Users.php), so a payload naming it is refused
    with that reason rather than "saved" without effect."""

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, data: Any) -> Any:
        if isinstance(data, dict) and {"password", "password1", "password2"} & set(data):
            raise ValueError(PASSWORD_REFUSED)
        return data

    email: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    company: str | None = None
    phone: str | None = None
    status: Literal["A", "D"] | None = None
    user_login: str | None = None
    company_id: int | None = None  # the storefront (Ultimate) the customer belongs to
    lang_code: str | None = None
    tax_exempt: Literal["Y", "N"] | None = None
    # Profile (address) columns: b_ billing, s_ shipping.
    b_firstname: str | None = None
    b_lastname: str | None = None
    b_address: str | None = None
    b_address_2: str | None = None
    b_city: str | None = None
    b_state: str | None = None
    b_country: str | None = None
    b_zipcode: str | None = None
    b_phone: str | None = None
    s_firstname: str | None = None
    s_lastname: str | None = None
    s_address: str | None = None
    s_address_2: str | None = None
    s_city: str | None = None
    s_state: str | None = None
    s_country: str | None = None
    s_zipcode: str | None = None
    s_phone: str | None = None
    # Custom profile fields by field_id (Administration → Profile fields): {"38": "value"}.
    fields: dict[str, str] | None = None
