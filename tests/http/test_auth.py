"""Authentication exactly as spec §5: the missing-key and rejected-key envelopes, key masking,
Basic credentials with a blank username, and the rule that keys are checked before the body."""
import base64
import unittest

from harness import ServerTest, Server, envelope, main

MISSING = ("You didn't provide an API key. You need to provide your API key in an Authorization header "
           "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
           "username) if you're accessing the API from your browser and are prompted for a username and "
           "password. You can obtain an API key from https://platform.openai.com/account/api-keys.")


def rejected(masked):
    return (f"Incorrect API key provided: {masked}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.")


class AnyKey(ServerTest):
    """With no --api-key, any non-empty key is accepted."""

    def missing(self, headers):
        r = self.server.post("{}", key=None, headers=headers)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.body, envelope(MISSING))

    def test_no_authorization_header(self):
        self.missing({})

    def test_empty_bearer(self):
        self.missing({"Authorization": "Bearer "})

    def test_other_scheme(self):
        self.missing({"Authorization": "Token sk-abc"})

    def test_bearer_without_space(self):
        self.missing({"Authorization": "Bearersk-abc"})

    def test_any_key_passes(self):
        for key in ["My API Key", "sk-anything", "x"]:
            with self.subTest(key=key):
                self.assertEqual(self.server.post("not json", key=key).status, 400)

    def test_scheme_is_case_insensitive(self):
        r = self.server.post("not json", key=None, headers={"Authorization": "bearer sk-abc"})
        self.assertEqual(r.status, 400)

    def test_basic_with_blank_username(self):
        cred = base64.b64encode(b":sk-browser").decode()
        r = self.server.post("not json", key=None, headers={"Authorization": f"Basic {cred}"})
        self.assertEqual(r.status, 400)

    def test_basic_with_a_username_is_not_a_key(self):
        cred = base64.b64encode(b"user:sk-browser").decode()
        self.missing({"Authorization": f"Basic {cred}"})

    def test_key_is_checked_before_the_body(self):
        r = self.server.post("{this is not json", key=None)
        self.assertEqual(r.status, 401)

    def test_health_needs_no_key(self):
        self.assertEqual(self.server.request("GET", "/health", key=None).status, 200)


class ConfiguredKeys(ServerTest):
    server_args = ("--api-key", "sk-BQVMoXXXXXXXXXXXXXXXCf6e", "--api-key", "short-key")

    def test_configured_keys_pass(self):
        for key in ["sk-BQVMoXXXXXXXXXXXXXXXCf6e", "short-key"]:
            with self.subTest(key=key):
                self.assertEqual(self.server.post("not json", key=key).status, 400)

    def test_wrong_key_is_masked(self):
        r = self.server.post("{}", key="sk-BQVMo123456789012345Cf6e")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.body, envelope(rejected("sk-BQVMo***************Cf6e"), code="invalid_api_key"))

    def test_star_count_follows_key_length(self):
        key = "sk-proj-" + "a" * 40 + "WXYZ"
        r = self.server.post("{}", key=key)
        self.assertEqual(r.json()["error"]["message"], rejected("sk-proj-" + "*" * 40 + "WXYZ"))

    def test_short_wrong_key_is_echoed_whole(self):
        r = self.server.post("{}", key="My API Key")
        self.assertEqual(r.json()["error"]["message"], rejected("My API Key"))

    def test_prefix_of_a_key_is_rejected(self):
        self.assertEqual(self.server.post("{}", key="short-ke").status, 401)

    def test_missing_key_still_says_missing(self):
        self.assertEqual(self.server.post("{}", key=None).body, envelope(MISSING))

    def test_keys_from_environment(self):
        with Server(env={"IMGMOCK_API_KEY": "k-one,k-two"}) as s:
            self.assertEqual(s.post("x", key="k-two").status, 400)
            self.assertEqual(s.post("x", key="k-three").status, 401)


if __name__ == "__main__":
    main()
