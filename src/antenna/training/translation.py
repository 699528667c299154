"""Event texts kept in en, fr, nl and de (django-modeltranslation: `title_fr`, ...)."""

from modeltranslation.translator import TranslationOptions, register

from antenna.training.models import TrainingEvent


@register(TrainingEvent)
class TrainingEventTranslation(TranslationOptions):
    fields = ("title", "description")
