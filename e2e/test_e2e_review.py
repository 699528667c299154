"""The operators' and reviewers' side, through the pages: assigning peer reviewers, a review
filed through the review form, a technical assessment and a decision."""

from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips every browser test, with the reason
    expect = None  # type: ignore[assignment]


def click_submit(form) -> None:
    with form.page.expect_navigation():
        form.locator("button[type=submit]").last.click()


def test_operator_assigns_reviewers_and_a_reviewer_files_a_review(open_page, demo):
    operator = open_page("demo-operator")
    operator.goto(f"/proposals/{demo.large_scale_for_ui}/")
    expect(operator.locator("h1")).to_contain_text("Foundation model for radiology")
    for reviewer in ("demo-reviewer", "demo-reviewer2"):
        form = operator.locator("main form[action$='/assign/']")
        form.locator("select[name=assign-reviewer]").select_option(reviewer)
        click_submit(form)
        expect(operator.locator("main")).to_contain_text(
            f"{reviewer} is asked to review this proposal")
    expect(operator.locator("h1 .badge")).to_have_class(re.compile(r"state-peer_review"))

    reviewer = open_page("demo-reviewer")
    reviewer.goto("/")
    reviewer.locator("header").get_by_role("link", name="My reviews").click()
    row = reviewer.locator("main tr").filter(has_text="Foundation model for radiology")
    row.locator("a[href$='/review/']").click()
    expect(reviewer.locator("h1")).to_contain_text("Foundation model for radiology")
    form = reviewer.locator("main form[method=post]")
    for criterion in ("excellence", "impact", "implementation"):
        form.locator(f"input[name=criterion_{criterion}][value='4']").check()
    form.locator("input[name=score][value='4']").check()
    form.locator("input[name=recommendation][value=accept]").check()
    form.locator("textarea[name=comment]").fill("Strong team, a clear plan, realistic hours.")
    form.locator("input[name=no_conflict]").check()
    click_submit(form)
    expect(reviewer.locator("main")).to_contain_text("your review is recorded")

    operator.reload()
    reviews = operator.locator("main section").filter(has_text="Peer reviews")
    expect(reviews).to_contain_text("Strong team, a clear plan, realistic hours.")
    expect(reviews).to_contain_text("4/5")


def test_operator_assesses_and_decides_a_fast_lane_proposal(open_page, demo):
    operator = open_page("demo-operator")
    operator.goto("/")
    operator.locator("header").get_by_role("link", name="Operator console").click()
    operator.locator("main").get_by_role("link", name="Defect detection at scale").click()
    expect(operator).to_have_url(re.compile(rf"/proposals/{demo.fast_lane}/"))

    assess = operator.locator("main form[action$='/assess/']")
    assess.locator("input[name=assess-feasible][value=yes]").check()
    assess.locator("textarea[name=assess-comment]").fill("Fits on JUPITER's booster.")
    click_submit(assess)
    expect(operator.locator("main")).to_contain_text("The technical assessment is recorded")

    decide = operator.locator("main form[action$='/decide/']")
    decide.locator("input[name=decide-decision][value=accept]").check()
    decide.locator("input[name=decide-gpu_hours]").fill("6000")
    decide.locator("textarea[name=decide-comment]").fill("Go ahead; report back in two months.")
    click_submit(decide)
    expect(operator.locator("main")).to_contain_text("Decision recorded: Accepted")
    expect(operator.locator("h1 .badge")).to_have_class(re.compile(r"state-accepted"))
    decision = operator.get_by_role("region", name="Decision", exact=True)
    expect(decision).to_contain_text("Go ahead; report back")
    expect(decision).to_contain_text("6,000")
    expect(operator.get_by_role("link", name="See the allocation")).to_be_visible()
