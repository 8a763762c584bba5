"""The collected storage, read without ever writing.

``instance`` makes the one inspecting instance of the configured staticfiles storage, ``listing``
lists it (a folder walk, one paginated S3 listing, or ``listdir``) and reads listed files, and
``kept`` keeps a listing for the layers to share and says how fresh it must be.
"""
