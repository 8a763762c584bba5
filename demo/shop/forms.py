"""Forms of the demo shop."""

from __future__ import annotations

from django import forms


class NewsletterForm(forms.Form):
    """Sign up for the newsletter."""

    email = forms.EmailField(label="Your e-mail")

    class Media:
        # PLANTED (on purpose): no source has this script; the references page reports it.
        js = ["shop/js/newsletter.js"]
