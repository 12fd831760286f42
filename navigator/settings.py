"""Settings for Navigator.

Every value a deployment changes comes from the environment names listed in
docs (DESIGN.md "Stable interfaces"); with none set, Navigator runs embedded:
SQLite, a file-system Celery broker and file email/SMS backends under var/.
"""

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("NAVIGATOR_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]"]),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DEBUG")
# An embedded (local) run gets a stable, clearly non-production key; production
# refuses to start without SECRET_KEY (see the check in navigator/checks.py).
SECRET_KEY = env.str("SECRET_KEY", default="insecure-embedded-only-key-change-me")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # allauth's security-key list template loads it ({% load humanize %}).
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Sign-in: allauth (login, password reset, MFA, sessions list) and axes
    # (failed-login counting); docs/decisions/0004-login-throttling-and-mfa.md.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "axes",
    "navigator",
    "navigator.accounts",
    "cases",
    "referrals",
    "followups",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy, Permissions-Policy, no-store (issue 7). After
    # WhiteNoise, which answers static files itself, so those keep caching.
    "csp.middleware.CSPMiddleware",
    "navigator.headers.SecurityHeadersMiddleware",
    "navigator.middleware.RequestIdMiddleware",
    # Right inside RequestIdMiddleware: writes each request's disclosures of
    # people's records (one audit event per person) once the view answered.
    "navigator.disclosure.DisclosureAuditMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Absolute lifetime, per-program idle timeout, a new key on a change of
    # privileges; then users who must have MFA are sent to enroll. Both after
    # messages (they tell the user why) and before anything that renders.
    "navigator.sessions.SessionPolicyMiddleware",
    "navigator.accounts.middleware.MFAEnrollmentMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "navigator.middleware.ProgramTimezoneMiddleware",
    # Partners (a partner token, or a partner user) reach the partner
    # endpoints and nothing else: every other API endpoint is a 404, every
    # other page a redirect to their landing page (docs/decisions/0014).
    "referrals.partners.middleware.PartnerBoundaryMiddleware",
    # A page's NotFound / PermissionDenied (from a scoped selector or a
    # service) is its 404 / 403 page: access is answered once, here.
    "navigator.views.AccessErrorsMiddleware",
    # Last, as axes requires: turns a lockout flagged during the request into
    # the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "navigator.urls"
WSGI_APPLICATION = "navigator.wsgi.application"
AUTH_USER_MODEL = "navigator.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "navigator.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'navigator.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections on PostgreSQL: opening one per request was half of
# what a short list cost over HTTP (docs/performance.md, "Lists at 100k
# people / 1M encounters"). DATABASE_URL's ?conn_max_age= (0: one per
# request) still decides; the health check replaces a connection the server
# closed.
_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DATABASES["default"].setdefault("CONN_MAX_AGE", 60 if _POSTGRES else 0)
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", _POSTGRES)

# One cache for every process: the used-TOTP codes (a code replayed on another
# web process within its 30-second step, RFC 6238 §5.2) and the API's request
# counts live here. Per-process memory by default (one process is enough for
# the embedded run and the tests); production points CACHE_URL at Redis.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the embedded worker and the web process share
    # one SQLite file without "database is locked" errors.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# NIST SP 800-63B §5.1.1.2 and OWASP ASVS V2.1: at least 12 characters, up
# to at least 64 (128 here), no composition rules; refuse passwords like the
# username, common ones and ones known from breaches (checked offline).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
] + [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "navigator.passwords.MaximumLengthValidator"},
    {"NAME": "navigator.passwords.BreachedPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Sessions: idle timeout 30 minutes (OWASP ASVS V3.3.2, HIPAA automatic
# logoff); a program may lower it to 15 (Program.session_idle_minutes) and
# every session ends 12 hours after sign-in (navigator/sessions.py).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
NAVIGATOR_SESSION_ABSOLUTE_SECONDS = env.int(
    "NAVIGATOR_SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60
)

# --- Sign-in: allauth + axes (docs/decisions/0004-login-throttling-and-mfa.md)
# axes first: it refuses a locked-out account or address before any password
# is checked; allauth's backend then checks it (username, case-insensitive).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Failed sign-ins (password or MFA code) are counted in the database per
# account (the name typed, whether or not it exists) and per address. An
# account locks after 10 within 15 minutes of each other, for 15 minutes after
# the last: at most 40 guesses an hour (OWASP ASVS V2.2.1: <= 100). An address
# locks after NAVIGATOR_LOGIN_ADDRESS_FAILURE_LIMIT. While locked even the
# right password is refused, and those tries do not extend the lock.
AXES_FAILURE_LIMIT = env.int("NAVIGATOR_LOGIN_ACCOUNT_FAILURE_LIMIT", default=10)
NAVIGATOR_LOGIN_ADDRESS_FAILURE_LIMIT = env.int(
    "NAVIGATOR_LOGIN_ADDRESS_FAILURE_LIMIT", default=50
)
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=env.int("NAVIGATOR_LOGIN_LOCKOUT_MINUTES", default=15)
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "navigator.accounts.throttling.LoginThrottleHandler"
AXES_USERNAME_CALLABLE = "navigator.accounts.throttling.attempted_username"
AXES_CLIENT_IP_CALLABLE = "navigator.accounts.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "navigator.accounts.throttling.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Never store what was typed into these fields in the attempt records.
AXES_SENSITIVE_PARAMETERS = ["username", "login", "ip_address", "code", "credential"]
# axes' own admin can delete attempts without an audit event: the admin site
# shows them read-only instead (navigator/accounts/admin.py).
AXES_ENABLE_ADMIN = False
# Proxies in front of the app that append to X-Forwarded-For (docker-compose:
# the TLS proxy, 1). 0 = the address is REMOTE_ADDR.
NAVIGATOR_TRUSTED_PROXY_COUNT = env.int("NAVIGATOR_TRUSTED_PROXY_COUNT", default=0)

ACCOUNT_ADAPTER = "navigator.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "navigator.accounts.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
# Accounts are made by administrators (the adapter closes sign-up); the
# fields are what allauth's forms expect to exist.
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# A password reset answers the same whether or not the address is known, and
# sends nothing to an unknown one.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Navigator] "
# No "remember me": the session cookie ends with the browser, and the idle
# and absolute limits above apply to every session.
ACCOUNT_SESSION_REMEMBER = False
# axes is the one limit on failed sign-ins (in the database, one message);
# allauth's cache-based login limits would answer first, with another message.
ACCOUNT_RATE_LIMITS = {"login": None, "login_failed": None}
MFA_ADAPTER = "navigator.accounts.adapter.MFAAdapter"
MFA_FORMS = {
    "authenticate": "navigator.accounts.forms.MFAAuthenticateForm",
    "reauthenticate": "navigator.accounts.forms.MFAReauthenticateForm",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# Addresses are set by administrators, not verified by mail (no sign-up).
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_TOTP_ISSUER = "Navigator"
# One 30-second step either side: phones' clocks drift (RFC 6238 §5.2).
MFA_TOTP_TOLERANCE = 1
# A passkey is a second factor here, never a way around the password.
MFA_PASSKEY_LOGIN_ENABLED = False
# Security keys (WebAuthn) work over https, and on http://localhost for a
# demo (browsers and fido2 treat it as secure); never on a plain-http origin.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False
# MFA for everyone (a program can require it for its staff: Program.require_mfa).
NAVIGATOR_REQUIRE_MFA = env.bool("NAVIGATOR_REQUIRE_MFA", default=False)
USERSESSIONS_TRACK_ACTIVITY = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Tests and the embedded run serve files straight from the apps' static dirs.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
WHITENOISE_AUTOREFRESH = DEBUG

# Security headers; the deploy checks in .ci/run run with production values.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): same origin only, no inline script
# or style, no eval; templates keep scripts in static files and styles in
# classes (tests/navigator/test_injection.py holds them to it). Bootstrap's
# CSS draws its icons (navbar toggler, close button, checkboxes) as data: SVG
# images, hence data: for images. The admin site (Django 5.2: scripts are
# files, data in data-attributes) and the Swagger UI page (navigator/api/docs.py)
# need nothing more; tests/browser/test_no_script_runs.py runs both under it.
# OWASP ASVS 4 V14.4.3.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
# A filter's "no choice" option says "Any" (each filter names what: "Any
# program"), never Django's "---------" (issue 8).
FILTERS_EMPTY_CHOICE_LABEL = "Any"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email and SMS: file backends by default, so nothing leaves the machine until
# a deployment configures a real provider.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND", default="followups.channels.IdempotentFileEmailBackend"
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
# For EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
# A stuck mail server must not hold a reminder batch's row locks for long.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="navigator@localhost")
SMS_BACKEND = env.str("SMS_BACKEND", default="followups.channels.FileSMSBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(VAR_DIR / "sms"))

# Uploaded documents (scanned consent forms, referral attachments;
# navigator/uploads.py): outside STATIC_ROOT and any URL, served only by
# views that check access and audit the read. In the production stack this
# is on the navigator-var volume (docker-compose.yml), shared by every web
# process; back it up with the database.
PRIVATE_FILES_ROOT = Path(
    env.str("NAVIGATOR_PRIVATE_FILES_ROOT", default=str(VAR_DIR / "private"))
)
# The largest upload taken, in bytes (default 10 MB). A bigger file is the
# form field's error, not a 500: UploadSizeLimitHandler stops keeping it once
# past the limit. DATA_UPLOAD_MAX_MEMORY_SIZE (Django's default 2.5 MB) counts
# a multipart body's other fields only, never its files.
NAVIGATOR_UPLOAD_MAX_BYTES = env.int(
    "NAVIGATOR_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024
)
FILE_UPLOAD_HANDLERS = [
    "navigator.uploads.UploadSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Files land readable by the app's user alone.
FILE_UPLOAD_PERMISSIONS = 0o600
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
# A monitoring system sending "Authorization: Bearer <this>" sees /healthz's
# details (database, broker, worker heartbeat); anyone else only up / down.
# Empty: only signed-in operators see them.
NAVIGATOR_MONITORING_TOKEN = env.str("NAVIGATOR_MONITORING_TOKEN", default="")
# Where users reach this site (scheme, host, port; no path): every absolute
# link is built on it (reminder emails and texts, calendar feed URLs, API
# page links; navigator.links.absolute_url), never on the request's Host,
# which a task does not have and a proxy may rewrite. `make run` sets it from
# its host and port. NAVIGATOR_BASE_URL is its earlier name, still read.
SITE_URL = env.str(
    "SITE_URL", default=env.str("NAVIGATOR_BASE_URL", default="http://127.0.0.1:8000")
).rstrip("/")
# A claimed reminder whose worker died is claimed again after this long;
# after REMINDER_MAX_ATTEMPTS claims it is marked failed and shown to managers.
REMINDER_CLAIM_SECONDS = env.int("REMINDER_CLAIM_SECONDS", default=120)
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=5)
REMINDER_BATCH_SIZE = env.int("REMINDER_BATCH_SIZE", default=200)
# The referral sweeps (referrals/sweeps.py, docs/decisions/0012): referrals
# claimed per transaction, and how many workers the dispatcher sets on them.
REFERRAL_SWEEP_BATCH_SIZE = env.int("REFERRAL_SWEEP_BATCH_SIZE", default=50)
REFERRAL_SWEEP_PARALLEL = env.int("REFERRAL_SWEEP_PARALLEL", default=2)
# Outbound webhooks (docs/decisions/0015-webhooks.md): short timeouts, and
# retries 30 s, 1 min, 2 min … (capped at 1 h, jittered) up to 10 attempts
# (about 6 hours), then the event is failed and shown to the managers.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=10)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=3600.0)
WEBHOOK_BATCH_LIMIT = env.int("WEBHOOK_BATCH_LIMIT", default=500)
WEBHOOK_PARALLEL = env.int("WEBHOOK_PARALLEL", default=2)
WEBHOOK_TASK_SECONDS = env.float("WEBHOOK_TASK_SECONDS", default=60.0)
# During a secret's rotation the old one signs too, this long.
WEBHOOK_ROTATION_HOURS = env.int("WEBHOOK_ROTATION_HOURS", default=24)

# Celery. With no CELERY_BROKER_URL the embedded default is kombu's
# file-system transport: no server, and `make run` starts a worker with an
# embedded beat beside the web process. See docs/decisions/0001.
# (The host part is ignored; given, kombu stops warning that it is missing.)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
# Broker outages (docs/decisions/0006): requests publish after their write
# commits, so a dead or frozen Redis must fail a publish within seconds, not
# hang it (redis-py waits forever by default). The connect timeout covers a
# host that is gone, the read timeout a broker that accepts and never answers;
# it stays above the worker's 1 s BRPOP. navigator.outbox publishes without
# retrying; what fails waits in the outbox for the sweep below.
BROKER_REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 2.0}
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (remote control) files; kombu's default is ./control.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    # kombu does not create them: without these, the first task published
    # from a fresh checkout (e.g. `manage.py seed_demo` before `make run`)
    # failed on a missing folder.
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
else:
    # Redis redelivers an unacknowledged task after this many seconds; tasks
    # never carry an ETA anywhere near it (REFERENCE.md, Celery pitfalls).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        **BROKER_REDIS_TIMEOUTS,
    }
# The queue this deployment's tasks go to and its workers read; two
# deployments (or test runs) can share one Redis with different names.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE: dict = {
    "worker-heartbeat": {"task": "navigator.tasks.worker_heartbeat", "schedule": 60.0},
    # One dispatcher for every reminder, never one beat entry per reminder.
    "reminders-sweep": {
        "task": "followups.tasks.sweep_due_reminders",
        "schedule": env.float("REMINDER_SWEEP_SECONDS", default=10.0),
    },
    # Nightly (about 2-3 a.m. on the US west coast): the full familiar-faces
    # evaluation, which repairs anything the per-encounter path missed.
    "familiar-faces-nightly": {
        "task": "cases.tasks.familiar_faces_nightly",
        "schedule": crontab(hour=10, minute=15),
    },
    # One dispatcher for the referral sweeps (no-response notices, escalations,
    # expiry): respond-by dates are days, so once a minute is plenty.
    "referrals-sweep": {
        "task": "referrals.tasks.dispatch_referral_sweeps",
        "schedule": env.float("REFERRAL_SWEEP_SECONDS", default=60.0),
    },
    # One dispatcher for every outbound webhook (referrals/webhooks).
    "webhooks-deliver": {
        "task": "referrals.tasks.dispatch_webhooks",
        "schedule": env.float("WEBHOOK_SWEEP_SECONDS", default=5.0),
    },
    "reminders-plan": {
        "task": "followups.tasks.plan_periodic_reminders",
        "schedule": 300.0,
    },
    # Broker outages (docs/decisions/0006): work written while the broker was
    # down is published once it is back.
    "outbox-sweep": {
        "task": "navigator.tasks.publish_queued_tasks",
        "schedule": env.float("OUTBOX_SWEEP_SECONDS", default=30.0),
    },
    # API Idempotency-Key answers are kept 24 hours, then deleted.
    "idempotency-keys-expire": {
        "task": "navigator.tasks.expire_idempotency_keys",
        "schedule": 3600.0,
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: a partner key (navp_…) is answered there, valid or not.
        "referrals.partners.authentication.PartnerTokenAuthentication",
        "navigator.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "navigator.api.pagination.Pagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "navigator.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # partner: per partner token, for load (docs/decisions/0014).
    "DEFAULT_THROTTLE_RATES": {
        "user": "1200/min",
        "anon": "60/min",
        "partner": "600/min",
    },
    "DEFAULT_THROTTLE_CLASSES": [
        "referrals.partners.throttling.PartnerTokenRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Navigator API",
    "DESCRIPTION": "Case management for co-responder programs. "
    "Every list is scoped to the caller's programs; out-of-scope objects are 404.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # A follow-up appears in two components (list item, detail with its
    # attempts): its choice sets are named once, for every component.
    "ENUM_NAME_OVERRIDES": {
        "FollowupStatusEnum": "followups.models.Status",
        "FollowupOutcomeEnum": "followups.models.Outcome",
        "AttemptOutcomeEnum": "followups.models.AttemptOutcome",
        # Referrals (FHIR Task statuses; outcome and reason codes).
        "ReferralStatusEnum": "referrals.models.ReferralStatus",
        "ReferralOutcomeEnum": "referrals.models.ReferralOutcome",
        "ReferralReasonCodeEnum": "referrals.models.ReasonCode",
        # consents (issue 9): their "method" fields beside the follow-ups'
        # (which keep the name MethodEnum they always had).
        "MethodEnum": "followups.models.Method",
        "ConsentMethodEnum": "cases.models.consent.ConsentMethod",
        "RevokeMethodEnum": "cases.models.consent.RevokeMethod",
    },
    # The default enum hook; every status an operation can answer (405, 406,
    # 415, a page past the end...: clients and CI's schemathesis run rely on
    # it); then the Idempotency-Key header on every write.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "navigator.api.schema.document_every_error",
        "navigator.api.idempotency.schema_hook",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "navigator.context.RequestIdLogFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
