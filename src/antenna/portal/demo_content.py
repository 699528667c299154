"""`seed_demo`: the stored texts in four languages (calls, factories), the expertise desk
(experts with skills, open and resolved requests), upcoming training events with a waiting
list, and European opportunities. Idempotent: a second run adds nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from antenna.accounts.models import User
from antenna.calls.models import Call
from antenna.calls.modes import AccessMode
from antenna.calls.services import call_update
from antenna.core.translated import OTHER_LANGUAGES, in_base_language
from antenna.expertise.models import ExpertiseRequest, ExpertProfile
from antenna.expertise.services import (
    expertise_message_post,
    expertise_request_create,
    expertise_request_resolve,
)
from antenna.factories.models import Factory
from antenna.opportunities.models import Opportunity
from antenna.opportunities.services import opportunity_create
from antenna.organizations.models import Organization
from antenna.training.models import TrainingEvent
from antenna.training.services import event_create, registration_create

# {field: {language: text}}; English is the field itself.
Texts = dict[str, dict[str, str]]

CALL_TEXTS: dict[str, Texts] = {
    AccessMode.PLAYGROUND: {
        "title": {
            "fr": "Playground : premiers pas avec l'IA sur un supercalculateur",
            "nl": "Playground: eerste stappen met AI op een supercomputer",
            "de": "Playground: erste Schritte mit KI auf einem Supercomputer"},
        "description": {
            "en": "A small budget of GPU-hours to try your AI workload on a supercomputer, "
                  "granted automatically when your request fits the rules.",
            "fr": "Un petit budget d'heures-GPU pour essayer votre charge de travail d'IA sur "
                  "un supercalculateur, accordé automatiquement si votre demande respecte les "
                  "règles.",
            "nl": "Een klein budget aan GPU-uren om uw AI-werk op een supercomputer uit te "
                  "proberen, automatisch toegekend als uw aanvraag aan de regels voldoet.",
            "de": "Ein kleines Budget an GPU-Stunden, um Ihre KI-Arbeitslast auf einem "
                  "Supercomputer zu erproben; automatisch gewährt, wenn Ihr Antrag die Regeln "
                  "erfüllt."},
    },
    AccessMode.FAST_LANE: {
        "title": {"fr": "Fast Lane pour les start-up et les PME",
                  "nl": "Fast Lane voor startups en kmo's",
                  "de": "Fast Lane für Start-ups und KMU"},
        "description": {
            "en": "Up to three months of GPU-hours for startups and SMEs, after a short "
                  "technical assessment.",
            "fr": "Jusqu'à trois mois d'heures-GPU pour les start-up et les PME, après une "
                  "courte évaluation technique.",
            "nl": "Tot drie maanden GPU-uren voor startups en kmo's, na een korte technische "
                  "beoordeling.",
            "de": "Bis zu drei Monate GPU-Stunden für Start-ups und KMU nach einer kurzen "
                  "technischen Prüfung."},
    },
    AccessMode.LARGE_SCALE: {
        "title": {"fr": "IA industrielle à grande échelle",
                  "nl": "Industriële AI op grote schaal",
                  "de": "Industrielle KI im großen Maßstab"},
        "description": {
            "en": "Large budgets for industrial AI projects, after a technical assessment and "
                  "peer review.",
            "fr": "Des budgets importants pour les projets industriels d'IA, après une "
                  "évaluation technique et une évaluation par les pairs.",
            "nl": "Grote budgetten voor industriële AI-projecten, na een technische "
                  "beoordeling en peer review.",
            "de": "Große Budgets für industrielle KI-Projekte nach technischer Prüfung und "
                  "Peer-Review."},
    },
    AccessMode.AI_FOR_SCIENCE: {
        "title": {"fr": "L'IA pour la science et les projets européens collaboratifs",
                  "nl": "AI voor de wetenschap en Europese samenwerkingsprojecten",
                  "de": "KI für die Wissenschaft und europäische Verbundprojekte"},
        "description": {
            "en": "For research organisations, public bodies and companies in EU-funded "
                  "projects: six months, with a technical assessment and peer review.",
            "fr": "Pour les organismes de recherche, les organismes publics et les entreprises "
                  "des projets financés par l'UE : six mois, avec une évaluation technique et "
                  "une évaluation par les pairs.",
            "nl": "Voor onderzoeksinstellingen, overheidsinstanties en bedrijven in door de EU "
                  "gefinancierde projecten: zes maanden, met een technische beoordeling en "
                  "peer review.",
            "de": "Für Forschungseinrichtungen, öffentliche Stellen und Unternehmen in "
                  "EU-geförderten Projekten: sechs Monate, mit technischer Prüfung und "
                  "Peer-Review."},
    },
}

FACTORY_TEXTS: dict[str, Texts] = {
    "jupiter": {
        "location": {"fr": "Jülich, Allemagne", "nl": "Jülich, Duitsland",
                     "de": "Jülich, Deutschland"},
        "description": {
            "fr": "JUPITER Booster : environ 6 000 nœuds de 4 NVIDIA GH200 (96 Go).",
            "nl": "JUPITER Booster: ongeveer 6.000 nodes met elk 4 NVIDIA GH200 (96 GB).",
            "de": "JUPITER Booster: rund 6.000 Knoten mit je 4 NVIDIA GH200 (96 GB)."},
    },
    "lumi": {
        "location": {"fr": "Kajaani, Finlande", "nl": "Kajaani, Finland",
                     "de": "Kajaani, Finnland"},
        "description": {
            "fr": "LUMI-G : 2 978 nœuds de 4 AMD MI250X, vus par Slurm comme 8 GCD. ROCm.",
            "nl": "LUMI-G: 2.978 nodes met elk 4 AMD MI250X, door Slurm gezien als 8 GCD's. "
                  "ROCm.",
            "de": "LUMI-G: 2.978 Knoten mit je 4 AMD MI250X, für Slurm 8 GCDs. ROCm."},
    },
    "sandbox": {
        "location": {"fr": "Belgique", "nl": "België", "de": "Belgien"},
        "description": {
            "fr": "Le petit bac à sable local de l'antenne, pour les tests et l'affinage.",
            "nl": "De kleine lokale sandbox van de antenne, voor tests en fine-tuning.",
            "de": "Die kleine lokale Sandbox der Antenne für Tests und Feinabstimmung."},
    },
}

# Expert usernames -> (first name, last name, skills, languages, regions).
EXPERTS: dict[str, tuple[str, str, list[str], list[str], list[str]]] = {
    "demo-expert": ("Eva", "Expert", ["porting", "scaling", "fine_tuning", "inference_mlops"],
                    ["en", "fr", "nl"], []),
    "demo-expert2": ("Lukas", "Berater", ["getting_started", "data_protection", "ai_act",
                                          "proposal_writing"], ["en", "de", "nl"], []),
}


@dataclass(frozen=True)
class DemoEvent:
    texts: Texts
    days_ahead: int
    hours: int
    capacity: int
    language: str
    online: bool
    place: str
    level: str
    topics: tuple[str, ...]


EVENTS = [
    DemoEvent({
        "title": {"en": "Getting started on the EuroHPC AI Factories",
                  "fr": "Premiers pas dans les usines d'IA EuroHPC",
                  "nl": "Aan de slag met de EuroHPC AI-fabrieken",
                  "de": "Erste Schritte in den EuroHPC-AI-Fabriken"},
        "description": {
            "en": "Accounts, proposals, your first job from a template, and where to get help. "
                  "Two hours, online.",
            "fr": "Comptes, propositions, votre premier job à partir d'un modèle, et où trouver "
                  "de l'aide. Deux heures, en ligne.",
            "nl": "Accounts, aanvragen, uw eerste job vanuit een sjabloon, en waar u hulp "
                  "vindt. Twee uur, online.",
            "de": "Konten, Anträge, Ihr erster Job aus einer Vorlage und wo Sie Hilfe finden. "
                  "Zwei Stunden, online."}},
        days_ahead=14, hours=2, capacity=100, language="en", online=True, place="",
        level="beginner", topics=("getting_started",)),
    DemoEvent({
        "title": {"en": "Porting CUDA code to ROCm for LUMI",
                  "fr": "Porter du code CUDA vers ROCm pour LUMI",
                  "nl": "CUDA-code overzetten naar ROCm voor LUMI",
                  "de": "CUDA-Code für LUMI nach ROCm portieren"},
        "description": {
            "en": "A hands-on day with HIP and hipify: bring your own kernels.",
            "fr": "Une journée pratique avec HIP et hipify : apportez vos propres noyaux.",
            "nl": "Een praktijkdag met HIP en hipify: breng uw eigen kernels mee.",
            "de": "Ein Praxistag mit HIP und hipify: Bringen Sie Ihre eigenen Kernel mit."}},
        days_ahead=30, hours=7, capacity=1, language="nl", online=False, place="Leuven",
        level="intermediate", topics=("porting",)),
    DemoEvent({
        "title": {"en": "Fine-tuning language models on several GPUs",
                  "fr": "Affiner des modèles de langage sur plusieurs GPU",
                  "nl": "Taalmodellen finetunen op meerdere GPU's",
                  "de": "Sprachmodelle auf mehreren GPUs feinabstimmen"},
        "description": {
            "en": "Distributed fine-tuning with PyTorch FSDP and DeepSpeed, from one node to "
                  "many.",
            "fr": "Affinage distribué avec PyTorch FSDP et DeepSpeed, d'un nœud à plusieurs.",
            "nl": "Gedistribueerd finetunen met PyTorch FSDP en DeepSpeed, van één node naar "
                  "vele.",
            "de": "Verteilte Feinabstimmung mit PyTorch FSDP und DeepSpeed, von einem Knoten "
                  "auf viele."}},
        days_ahead=45, hours=6, capacity=30, language="fr", online=True, place="Namur",
        level="advanced", topics=("fine_tuning", "scaling")),
]


@dataclass(frozen=True)
class DemoOpportunity:
    texts: Texts
    kind: str
    days_ahead: int
    url: str
    eligible_kinds: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()


OPPORTUNITIES = [
    DemoOpportunity({
        "title": {"en": "EuroHPC AI Factories access calls",
                  "fr": "Appels d'accès aux usines d'IA EuroHPC",
                  "nl": "Toegangsoproepen van de EuroHPC AI-fabrieken",
                  "de": "Zugangsaufrufe der EuroHPC-AI-Fabriken"},
        "description": {
            "en": "Compute time on the AI Factories for companies, startups and researchers, "
                  "through several access modes.",
            "fr": "Du temps de calcul dans les usines d'IA pour les entreprises, les start-up "
                  "et les chercheurs, selon plusieurs modes d'accès.",
            "nl": "Rekentijd op de AI-fabrieken voor bedrijven, startups en onderzoekers, via "
                  "verschillende toegangsmodi.",
            "de": "Rechenzeit in den AI-Fabriken für Unternehmen, Start-ups und Forschende über "
                  "mehrere Zugangsarten."}},
        kind="ai_factory", days_ahead=60, url="https://www.eurohpc-ju.europa.eu/"),
    DemoOpportunity({
        "title": {"en": "Digital Europe: AI testing for SMEs",
                  "fr": "Europe numérique : tests d'IA pour les PME",
                  "nl": "Digitaal Europa: AI-tests voor kmo's",
                  "de": "Digitales Europa: KI-Tests für KMU"},
        "description": {
            "en": "Co-funding for SMEs and startups to test AI solutions in European testing "
                  "facilities.",
            "fr": "Un cofinancement pour que les PME et les start-up testent des solutions d'IA "
                  "dans des installations d'essai européennes.",
            "nl": "Cofinanciering voor kmo's en startups om AI-oplossingen te testen in "
                  "Europese testfaciliteiten.",
            "de": "Kofinanzierung für KMU und Start-ups, um KI-Lösungen in europäischen "
                  "Testeinrichtungen zu erproben."}},
        kind="digital_europe", days_ahead=90,
        url="https://digital-strategy.ec.europa.eu/en/activities/digital-programme",
        eligible_kinds=("sme", "startup")),
    DemoOpportunity({
        "title": {"en": "Horizon Europe: trustworthy AI research",
                  "fr": "Horizon Europe : recherche sur une IA digne de confiance",
                  "nl": "Horizon Europe: onderzoek naar betrouwbare AI",
                  "de": "Horizon Europe: Forschung zu vertrauenswürdiger KI"},
        "description": {
            "en": "Collaborative research projects on trustworthy and explainable AI.",
            "fr": "Projets de recherche collaboratifs sur une IA digne de confiance et "
                  "explicable.",
            "nl": "Samenwerkende onderzoeksprojecten over betrouwbare en verklaarbare AI.",
            "de": "Verbundforschungsprojekte zu vertrauenswürdiger und erklärbarer KI."}},
        kind="horizon_europe", days_ahead=120,
        url="https://research-and-innovation.ec.europa.eu/funding/funding-opportunities/"
            "funding-programmes-and-open-calls/horizon-europe_en",
        eligible_kinds=("university", "research_centre")),
    DemoOpportunity({
        "title": {"en": "EDIH Wallonia: test AI before you invest",
                  "fr": "EDIH Wallonie : tester l'IA avant d'investir",
                  "nl": "EDIH Wallonië: AI testen voor u investeert",
                  "de": "EDIH Wallonien: KI testen vor dem Investieren"},
        "description": {
            "en": "Free support for Walloon SMEs: AI proofs of concept, training and help to "
                  "find funding.",
            "fr": "Un accompagnement gratuit pour les PME wallonnes : preuves de concept en IA, "
                  "formation et aide pour trouver un financement.",
            "nl": "Gratis ondersteuning voor Waalse kmo's: AI-proofs-of-concept, opleiding en "
                  "hulp bij het vinden van financiering.",
            "de": "Kostenlose Unterstützung für wallonische KMU: KI-Machbarkeitsnachweise, "
                  "Schulung und Hilfe bei der Finanzierungssuche."}},
        kind="edih", days_ahead=180, url="https://european-digital-innovation-hubs.ec.europa.eu/",
        eligible_kinds=("sme", "startup", "public_administration"), regions=("wallonia",)),
    DemoOpportunity({
        "title": {"en": "Flanders AI research programme: industry projects",
                  "fr": "Programme flamand de recherche en IA : projets avec l'industrie",
                  "nl": "Vlaams AI-onderzoeksprogramma: industrieprojecten",
                  "de": "Flämisches KI-Forschungsprogramm: Industrieprojekte"},
        "description": {
            "en": "Regional support for Flemish companies that bring AI research into their "
                  "products.",
            "fr": "Un soutien régional aux entreprises flamandes qui intègrent la recherche en "
                  "IA dans leurs produits.",
            "nl": "Regionale steun voor Vlaamse bedrijven die AI-onderzoek in hun producten "
                  "brengen.",
            "de": "Regionale Förderung für flämische Unternehmen, die KI-Forschung in ihre "
                  "Produkte bringen."}},
        kind="national", days_ahead=75, url="https://www.flandersairesearch.be/",
        regions=("flanders",)),
]


def _english(texts: Texts) -> dict[str, str]:
    return {field: by_language["en"] for field, by_language in texts.items()
            if "en" in by_language}


def _translations(texts: Texts) -> dict[str, Any]:
    """`title_fr=...` keyword arguments of the other languages (texts)."""
    return {f"{field}_{code}": by_language[code] for field, by_language in texts.items()
            for code in OTHER_LANGUAGES if code in by_language}


def translate_calls(calls: dict[Any, Call], operator: User) -> None:
    """Fill the calls' texts in every language (only where a language is still empty)."""
    for mode, call in calls.items():
        texts = CALL_TEXTS.get(mode)
        if texts is None:
            continue
        changes = {name: text for name, text in _translations(texts).items()
                   if not getattr(call, name)}
        if not call.description and "description" in texts:
            changes["description"] = texts["description"]["en"]
        if changes:
            call_update(call=call, by=operator, **changes)


def translate_factories(factories: dict[str, Factory]) -> None:
    """The demo factories' locations and descriptions in fr, nl and de (where still empty)."""
    for name, factory in factories.items():
        changed = []
        for column, text in _translations(FACTORY_TEXTS.get(name, {})).items():
            if not getattr(factory, column):
                setattr(factory, column, text)
                changed.append(column)
        if changed:
            factory.save(update_fields=changed)


def seed_experts(users: dict[str, User]) -> None:
    """Skills, languages and capacity of the demo experts."""
    for username, (_first, _last, skills, languages, regions) in EXPERTS.items():
        ExpertProfile.objects.get_or_create(
            user=users[username],
            defaults={"skills": skills, "languages": languages, "regions": regions,
                      "capacity": 5})


def seed_expertise_requests(users: dict[str, User]) -> None:
    """An open porting request (routed to the porting expert) and a resolved one."""
    applicant, expert = users["demo-applicant"], users["demo-expert"]
    brightvision = Organization.objects.get(legal_name="Brightvision AI")
    usine = Organization.objects.get(legal_name="Usine Robotique Liégeoise")
    if not ExpertiseRequest.objects.filter(organization=brightvision, topic="porting").exists():
        expertise_request_create(
            organization=brightvision, topic="porting", language="en", by=applicant,
            title="Porting our CUDA kernels to ROCm for LUMI",
            description="Our segmentation model uses two custom CUDA kernels. What is the "
                        "quickest way to run it on LUMI's MI250X GPUs?")
    if not ExpertiseRequest.objects.filter(organization=usine, topic="fine_tuning").exists():
        resolved = expertise_request_create(
            organization=usine, topic="fine_tuning", language="fr", by=applicant,
            title="Affiner un modèle de vision pour nos robots",
            description="Nous voulons affiner un modèle de vision sur 20 000 images de pièces. "
                        "Combien d'heures-GPU faut-il prévoir ?")
        if resolved.expert_id == expert.pk:
            expertise_message_post(
                request=resolved, by=expert,
                body="Avec un ViT-B et 20 000 images, comptez environ 40 heures-GPU pour "
                     "dix époques, essais compris. Le modèle « Hugging Face fine-tuning » "
                     "du portail convient.")
            expertise_request_resolve(request=resolved, by=expert)


def seed_events(operator: User, users: dict[str, User]) -> None:
    """Upcoming events in four languages; the on-site one is full, with a waiting list."""
    start = timezone.localtime().replace(hour=9, minute=30, second=0, microsecond=0)
    for spec in EVENTS:
        english = _english(spec.texts)
        if TrainingEvent.objects.filter(title_en=english["title"],
                                        ends_at__gte=timezone.now()).exists():
            continue
        starts = start + dt.timedelta(days=spec.days_ahead)
        event = event_create(
            starts_at=starts, ends_at=starts + dt.timedelta(hours=spec.hours),
            capacity=spec.capacity, language=spec.language, online=spec.online,
            place=spec.place, level=spec.level, topics=list(spec.topics), by=operator,
            title=english["title"], description=english.get("description", ""),
            **_translations(spec.texts))
        if spec.capacity == 1:
            registration_create(event=event, by=users["demo-researcher"])
            registration_create(event=event, by=users["demo-applicant"])  # waits


def seed_opportunities(operator: User) -> None:
    today = timezone.localdate()
    for spec in OPPORTUNITIES:
        english = _english(spec.texts)
        if Opportunity.objects.filter(title_en=english["title"], deadline__gte=today).exists():
            continue
        opportunity_create(
            kind=spec.kind, deadline=today + dt.timedelta(days=spec.days_ahead), url=spec.url,
            eligible_kinds=list(spec.eligible_kinds), regions=list(spec.regions),
            countries=list(spec.countries), by=operator, title=english["title"],
            description=english.get("description", ""), **_translations(spec.texts))


def seed_content(*, users: dict[str, User], calls: dict[Any, Call],
                 factories: dict[str, Factory]) -> None:
    """Everything above, with English as the base language of the plain field names."""
    with in_base_language():
        operator = users["demo-operator"]
        translate_factories(factories)
        translate_calls(calls, operator)
        seed_experts(users)
        seed_expertise_requests(users)
        seed_events(operator, users)
        seed_opportunities(operator)
