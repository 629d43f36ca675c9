from django.urls import reverse


def test_mapping_list_owner_outsider_anonymous(client, owner, outsider, workspace):
    url = reverse("mappings:mapping-list", args=[workspace.pk])
    response = client.get(url)
    assert response.status_code == 302 and reverse("account_login") in response.url
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(owner)
    assert "No mappings yet" in client.get(url).content.decode()
