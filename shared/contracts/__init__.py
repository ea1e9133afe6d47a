"""The contracts of the HTTP functions: their request bodies and the sync task's payload as
pydantic models (``models``), registered once (``registry``), and generated into checked-in files
(``schemas/*.schema.json``, ``openapi.json``) by ``python -m shared.contracts.generate``; a test
fails when the files are not current. Adding a function's body is one line in ``registry``."""
