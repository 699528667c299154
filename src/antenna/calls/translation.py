"""Call texts kept in en, fr, nl and de (django-modeltranslation: `title_fr`, ...)."""

from modeltranslation.translator import TranslationOptions, register

from antenna.calls.models import Call


@register(Call)
class CallTranslation(TranslationOptions):
    fields = ("title", "description")
