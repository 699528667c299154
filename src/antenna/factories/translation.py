"""Factory texts kept in en, fr, nl and de (django-modeltranslation: `description_fr`, ...)."""

from modeltranslation.translator import TranslationOptions, register

from antenna.factories.models import Factory


@register(Factory)
class FactoryTranslation(TranslationOptions):
    fields = ("description", "location")
