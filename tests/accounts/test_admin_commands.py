"""Admins create groups, add users with a role, and grant or revoke ACLs from the shell."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts import access, acl


@pytest.mark.django_db
def test_it_creates_a_group_and_a_user_with_a_role_and_grants(capsys):
    get_user_model().objects.create_user(username="lead", password="x")
    call_command("create_group", "GRANDMA-C", "--admin", "lead")
    call_command(
        "add_user", "shifter", "--role", acl.VIEW_ONLY, "--group", "GRANDMA-C", "--password", "s3"
    )
    shifter = get_user_model().objects.get(username="shifter")
    assert access.roles_of(shifter) == [acl.VIEW_ONLY]
    assert shifter.groups.filter(name="GRANDMA-C").exists()
    assert shifter.check_password("s3")
    lead = get_user_model().objects.get(username="lead")
    assert access.is_group_admin(lead, shifter.groups.get(name="GRANDMA-C"))

    call_command("grant_acl", "shifter", acl.MANAGE_GCNS)
    assert access.has_acl(get_user_model().objects.get(pk=shifter.pk), acl.MANAGE_GCNS)
    call_command("revoke_acl", "shifter", acl.MANAGE_GCNS)
    assert not access.has_acl(get_user_model().objects.get(pk=shifter.pk), acl.MANAGE_GCNS)
    assert "revoked" in capsys.readouterr().out


@pytest.mark.django_db
def test_it_reports_bad_input_clearly(db):
    with pytest.raises(CommandError, match="no such group"):
        call_command("add_user", "someone", "--group", "Nope")
    with pytest.raises(CommandError, match="no user named"):
        call_command("grant_acl", "ghost", acl.COMMENT)
    call_command("create_group", "Twins")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_group", "twins")


@pytest.mark.django_db
def test_it_seeds_demo_people_in_every_role(db):
    call_command("seed_demo", verbosity=0)
    users = {u.username: u for u in get_user_model().objects.all()}
    assert access.roles_of(users["alice"]) == [acl.FULL_USER]
    assert access.roles_of(users["victor"]) == [acl.VIEW_ONLY]
    assert access.is_group_admin(users["carol"], users["carol"].groups.get(name="GRANDMA-A"))
