"""An applicant's whole way through the pages: sign up, register an organisation, find a route,
write and submit a Playground proposal, get the allocation, run a job and watch it finish.
And the language switcher."""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips every browser test, with the reason
    expect = None  # type: ignore[assignment]

PASSWORD = "lena-wants-gpus-2026"
TITLE = "Frietkot demand forecasting with a small transformer"


def submit(form) -> None:
    """Click the form's submit button and wait for the page it leads to."""
    page = form.page
    with page.expect_navigation():
        form.locator("button[type=submit]").last.click()


def main_form(page):
    """The page's main POST form (not the language switcher, not sign-out)."""
    return page.locator("main form[method=post]").filter(
        has=page.locator("button[type=submit]")).first


def choose_route(page) -> str:
    """From the home page to the Playground call's proposal form: through the triage when the
    page has one (answers of a first-timer with a small need), else through the calls list."""
    page.locator("header a.brand").click()
    if not page.locator("form.triage").count():
        to_triage = page.locator("main a[href$='/triage/']")
        if to_triage.count():
            to_triage.first.click()
    triage = page.locator("form.triage")
    if triage.count():
        triage.locator("input[name=goal][value=try_ai]").check()
        triage.locator("input[name=gpu_hours]").fill("100")
        triage.locator("select[name=organization_kind]").select_option("startup")
        triage.locator("input[name=used_hpc][value=no]").check()
        triage.locator("button[type=submit]").click()
        route = page.locator("#triage-result")
        expect(route).to_contain_text("Playground")
        route.locator("a[href*='/apply/']").first.click()
        way = "triage"
    else:
        page.locator("header").get_by_role("link", name="Calls", exact=True).click()
        page.locator("main").get_by_role("link", name=re.compile(r"^Playground")).first.click()
        page.locator("main a[href$='/apply/']").first.click()
        way = "calls list"
    expect(page.locator("h1")).to_contain_text("Playground")
    print(f"route chosen through the {way}")
    return way


def fill_job_form(page, output: str):
    """From the allocation page to a filled job form that prints `output`: through the job
    templates ("Plain shell") when the portal has them, else the plain job form."""
    templates = page.locator("main a[href*='/jobs/templates/']")
    if templates.count():
        templates.first.click()
        page.locator("main a[href$='/templates/shell/']").click()
        form = main_form(page)
        form.locator("#id_name").fill("hello-lena")
        form.locator("textarea[name$=commands]").fill(f"echo {output}")
        expect(page.locator("#recipe-preview")).to_contain_text(f"echo {output}")
    else:
        page.locator("main a[href*='/jobs/new/']").first.click()
        form = main_form(page)
        form.locator("#id_name").fill("hello-lena")
        form.locator("#id_script").fill(f"#!/bin/bash\necho {output}\n")
    form.locator("#id_gpus").fill("1")
    form.locator("#id_walltime_minutes").fill("5")
    expect(page.locator("#estimate")).to_contain_text("GPU-hours")
    return form


def test_applicant_from_sign_up_to_a_finished_job(open_page):
    page = open_page()
    page.goto("/")
    page.locator("header").get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    page.locator("#id_username").fill("lena")
    page.locator("#id_email").fill("lena@quantumfrites.example")
    page.locator("#id_first_name").fill("Lena")
    page.locator("#id_last_name").fill("Peeters")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    submit(main_form(page))
    expect(page.locator("main")).to_contain_text("Welcome, Lena")

    # A Belgian startup; a wrong check digit is refused with a message, the right one passes.
    to_register = page.locator("main a[href$='/organisations/new/']")
    if not to_register.count():
        page.locator("header").get_by_role("link", name="My organisations").click()
    to_register.first.click()
    page.locator("#id_legal_name").fill("Quantum Frites BV")
    page.locator("#id_kind").select_option("startup")
    page.locator("#id_country").fill("BE")
    page.locator("#id_region").select_option("flanders")
    page.locator("#id_enterprise_number").fill("0123.456.748")
    submit(main_form(page))
    expect(page.locator("main [role=alert]").first).to_contain_text("enterprise number")
    page.locator("#id_enterprise_number").fill("0123.456.749")
    submit(main_form(page))
    expect(page.locator("main")).to_contain_text("Quantum Frites BV is registered")
    expect(page.locator("h1")).to_contain_text("Quantum Frites BV")

    choose_route(page)  # through the triage when the portal has one

    # The proposal: fill, save the draft, submit; the Playground decides at once.
    form = main_form(page)
    expect(form.locator("#id_organization")).to_have_value(re.compile(r"\d+"))
    form.locator("#id_title").fill(TITLE)
    form.locator("#id_abstract").fill("We forecast the daily demand of 40 frietkoten from "
                                      "weather and events, to cut food waste.")
    form.locator("#id_requested_gpu_hours").fill("100")
    form.locator("#id_gpu_hours_justification").fill("1 GPU x 2 h x 40 runs = 80, plus tests.")
    form.locator("#id_factory").select_option(label="Antenna sandbox")
    form.locator("#id_duration_months").select_option("1")
    form.locator("#id_civilian_use").check()
    submit(form)
    expect(page.locator("main")).to_contain_text("Your draft is saved")
    expect(page.locator("h1")).to_contain_text(TITLE)
    expect(page.locator("h1 .badge")).to_have_class(re.compile(r"state-draft"))
    with page.expect_navigation():
        page.locator("main form[action$='/submit/'] button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Your proposal is accepted")
    expect(page.locator("h1 .badge")).to_have_class(re.compile(r"state-accepted"))

    # The allocation, then a job on it.
    page.get_by_role("link", name="See the allocation").click()
    expect(page).to_have_url(re.compile(r"/allocations/\d+/$"))
    expect(page.locator("main")).to_contain_text("100")
    form = fill_job_form(page, "hello from Lena")
    submit(form)
    expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
    expect(page.locator("main")).to_contain_text("Job submitted")
    # Only htmx polling updates the page from here: no reload.
    expect(page.locator("#job-status .badge").first).to_have_class(
        re.compile(r"state-completed"), timeout=90_000)
    expect(page.locator("#job-log")).to_contain_text("hello from Lena", timeout=30_000)


@pytest.mark.parametrize(("code", "calls_word"),
                         [("fr", "Appels"), ("nl", "Oproepen"), ("de", "Ausschreibungen")])
def test_language_switcher(open_page, code, calls_word):
    page = open_page()
    page.goto("/calls/")
    switcher = page.locator("form.language")
    button = switcher.locator("button[type=submit]")
    submits_on_change = not button.is_visible()
    with page.expect_navigation():
        switcher.locator("select[name=language]").select_option(code)
        if not submits_on_change:
            button.click()
    expect(page.locator("html")).to_have_attribute("lang", code)
    expect(page).to_have_url(re.compile(r"/calls/$"))
    expect(page.locator("select[name=language]")).to_have_value(code)
    if calls_word:
        expect(page.locator("header nav")).to_contain_text(calls_word)
