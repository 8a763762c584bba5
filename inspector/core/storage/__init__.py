"""The collected storage, read without ever writing.

``instance`` makes the one inspecting instance of the configured staticfiles storage, ``listing``
lists it (a folder walk, one paginated S3 listing, or ``listdir``) and reads listed files,
``folder`` walks a local folder (here, or Django-free in a hashing process), and ``kept`` keeps
a listing for the layers to share and says how fresh it must be.
"""
