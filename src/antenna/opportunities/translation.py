"""Opportunity texts kept in en, fr, nl and de (django-modeltranslation: `title_fr`, ...)."""

from modeltranslation.translator import TranslationOptions, register

from antenna.opportunities.models import Opportunity


@register(Opportunity)
class OpportunityTranslation(TranslationOptions):
    fields = ("title", "description")
