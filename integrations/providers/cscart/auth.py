"""CS-Cart authentication: HTTP Basic with an administrator's e-mail and API key.

There is no token flow and nothing to refresh: the key is generated in the admin panel
(Customers → Administrators → <admin> → API access) and stays valid until someone disables
API access or the administrator. A 401 therefore always means "a person must fix this".
Reference: https://docs.cs-cart.com/latest/developer_guide/api/index.html (Authentication)
"""

import base64

from integrations.errors import AuthError
from integrations.models import Connection


def basic_credentials(connection: Connection) -> tuple[str, str]:
    credentials = connection.get_credentials()
    email = (credentials.get("email") or "").strip()
    api_key = (credentials.get("api_key") or "").strip()
    if not email or not api_key:
        raise AuthError(
            f"Connection “{connection.name}” needs the administrator's e-mail and API key."
        )
    return email, api_key


def authorization_header(connection: Connection) -> str:
    email, api_key = basic_credentials(connection)
    token = base64.b64encode(f"{email}:{api_key}".encode()).decode()
    return f"Basic {token}"
