"""The GPU-hour estimator: the arithmetic and its htmx endpoint."""

from __future__ import annotations

import math

import pytest
from django.test import Client

from antenna import testing
from antenna.proposals.estimator import GPU_PROFILES, estimate, total_flops


def test_six_n_d():
    assert total_flops(parameters=7e9, tokens=1e9) == 6 * 7e9 * 1e9
    assert total_flops(parameters=1e9, tokens=1e9, method="lora") == 4e18
    assert total_flops(parameters=1e9, tokens=1e9, method="inference", epochs=3) == 6e18


def test_estimate_per_gpu_with_margin():
    gh200 = GPU_PROFILES["gh200"]
    [result] = estimate(parameters=7e9, tokens=1e9, profiles=[gh200], margin=0.0)
    seconds = 6 * 7e9 * 1e9 / (989e12 * 0.35)
    assert result.gpu_hours == math.ceil(seconds / 3600)
    [with_margin] = estimate(parameters=7e9, tokens=1e9, profiles=[gh200], margin=0.2)
    assert with_margin.gpu_hours == math.ceil(seconds / 3600 * 1.2)


def test_an_mi250x_module_is_slower_than_a_gh200():
    by_model = {e.profile.model: e.gpu_hours for e in estimate(parameters=70e9, tokens=2e9)}
    assert by_model["mi250x"] > by_model["gh200"]
    assert min(by_model.values()) >= 1


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        total_flops(parameters=0, tokens=1e9)


@pytest.mark.django_db
def test_estimate_endpoint_per_factory_of_the_call():
    jupiter = testing.make_factory("jupiter", gpu_model="gh200")
    lumi = testing.make_factory("lumi", gpu_model="mi250x", gpus_per_node=8)
    call = testing.make_call("fast_lane", factories=[jupiter, lumi])
    response = Client().get("/proposals/estimate/", {
        "call": str(call.pk), "est-parameters_billion": "7", "est-tokens_billion": "1",
        "est-epochs": "1", "est-method": "train"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Jupiter" in html and "Lumi" in html
    assert "989 TFLOP/s peak" in html and "383 TFLOP/s peak" in html
    assert 'data-fill="id_requested_gpu_hours"' in html


@pytest.mark.django_db
def test_estimate_endpoint_reports_bad_input():
    html = Client().get("/proposals/estimate/", {"est-parameters_billion": "-1",
                                                 "est-tokens_billion": "1", "est-epochs": "1",
                                                 "est-method": "train"}).content.decode()
    assert 'role="alert"' in html


@pytest.mark.django_db
def test_proposal_form_shows_the_estimator_and_prefills_the_factory(applicant):
    factory = testing.make_factory("sandbox")
    call = testing.make_call("playground", factories=[factory])
    testing.make_org(applicant)
    client = Client()
    client.force_login(applicant)
    html = client.get(f"/calls/{call.pk}/apply/?factory={factory.pk}").content.decode()
    assert 'hx-get="/proposals/estimate/"' in html
    assert f'<option value="{factory.pk}" selected>' in html
