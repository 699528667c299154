"""Job templates: the scripts they write (valid bash that completes in the demo) and pages."""

from __future__ import annotations

import os
import subprocess

import pytest
from django.test import Client

from antenna import testing
from antenna.factories.models import FactoryKind
from antenna.jobs.models import Job
from antenna.jobs.recipes import (
    CONTAINERS,
    CUDA,
    GENERIC,
    RECIPES,
    ROCM,
    RecipeValueError,
    Target,
    flavour_of,
    render_script,
)

TARGETS = [Target(CUDA, 4), Target(ROCM, 8), Target(GENERIC, 4)]
CASES = [(slug, target, gpus) for slug in RECIPES for target in TARGETS for gpus in (1, 4, 16)]


def _run(script: str, tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "job.sh"
    path.write_text(script)
    # The environment the local connector gives a job: PATH and HOME, nothing else.
    return subprocess.run(["bash", str(path)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                           "HOME": str(tmp_path), **env}, check=False)


@pytest.mark.parametrize(("slug", "target", "gpus"), CASES)
def test_every_variant_is_valid_bash(slug, target, gpus, tmp_path):
    script = render_script(RECIPES[slug], {}, gpus=gpus, target=target)
    assert script.startswith("#!/bin/bash\n")
    path = tmp_path / "job.sh"
    path.write_text(script)
    check = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize(("slug", "target"), [(s, t) for s in RECIPES for t in TARGETS])
def test_every_variant_completes_in_dry_run(slug, target, tmp_path):
    result = _run(render_script(RECIPES[slug], {}, gpus=2, target=target), tmp_path,
                  ANTENNA_DRY_RUN="1")
    assert result.returncode == 0, result.stdout + result.stderr
    if RECIPES[slug].uses_torch:
        assert "Antenna demo mode" in result.stdout


@pytest.mark.parametrize("slug", list(RECIPES))
def test_demo_variant_really_runs_to_completion(slug, tmp_path):
    """No GPUs, no containers, no PyTorch here: the script says so and exits 0."""
    result = _run(render_script(RECIPES[slug], {}, gpus=1, target=Target(GENERIC)), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Job started" in result.stdout
    imports_torch = subprocess.run(["python3", "-c", "import torch"], capture_output=True,
                                   check=False).returncode == 0
    if RECIPES[slug].uses_torch and not imports_torch:
        assert "Antenna demo mode" in result.stdout and "would run" in result.stdout


def test_variants_differ_per_factory():
    recipe = RECIPES["pytorch-training"]
    cuda = render_script(recipe, {}, gpus=4, target=Target(CUDA, 4))
    rocm = render_script(recipe, {}, gpus=8, target=Target(ROCM, 8))
    assert "CUDA_VISIBLE_DEVICES" in cuda and CONTAINERS[CUDA] in cuda
    assert "ROCR_VISIBLE_DEVICES" in rocm and "HIP_VISIBLE_DEVICES" in rocm
    assert "MIOPEN_USER_DB_PATH" in rocm and CONTAINERS[ROCM] in rocm
    assert "torchrun --standalone --nproc_per_node=4" in cuda
    multi = render_script(recipe, {}, gpus=16, target=Target(CUDA, 4))
    assert "NNODES=4" in multi and "srun" in multi
    single = render_script(recipe, {}, gpus=1, target=Target(CUDA, 4))
    assert "torchrun" not in single.split("demo_exit()")[1].split("fi\n", 1)[0]


def test_values_are_checked_and_quoted():
    recipe = RECIPES["hf-finetune"]
    with pytest.raises(RecipeValueError):
        render_script(recipe, {"model": "x; rm -rf /"}, gpus=1, target=Target(GENERIC))
    with pytest.raises(RecipeValueError):
        render_script(recipe, {"epochs": "many"}, gpus=1, target=Target(GENERIC))
    script = render_script(recipe, {"model": "org/model-1.5B"}, gpus=1, target=Target(GENERIC))
    assert "MODEL=org/model-1.5B" in script


@pytest.mark.django_db
def test_flavour_of_factories():
    assert flavour_of(testing.make_factory("s", kind=FactoryKind.SANDBOX), "l40s") == GENERIC
    assert flavour_of(testing.make_factory("l"), "mi250x") == ROCM
    assert flavour_of(testing.make_factory("j"), "gh200") == CUDA


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_template_pages_for_members(world):
    client = _client(world.owner)
    base = f"/allocations/{world.allocation.pk}/jobs/templates/"
    index = client.get(base)
    assert index.status_code == 200
    assert "Hugging Face fine-tuning" in index.content.decode()
    page = client.get(base + "pytorch-training/")
    assert page.status_code == 200
    assert "#!/bin/bash" in page.content.decode()
    preview = client.get(base + "pytorch-training/preview/",
                         {"name": "t", "factory": world.factory.pk, "gpus": 2,
                          "walltime_minutes": 10, "r_train_script": "train.py",
                          "r_dataset": "d", "r_epochs": "2"},
                         headers={"HX-Request": "true"})
    assert preview.status_code == 200
    assert "nproc_per_node=2" in preview.content.decode()
    assert client.get(base + "nope/").status_code == 404
    # the allocation page and the job form lead here
    assert base in client.get(f"/allocations/{world.allocation.pk}/").content.decode()
    assert base in client.get(f"/allocations/{world.allocation.pk}/jobs/new/").content.decode()


@pytest.mark.django_db
def test_template_pages_hidden_from_other_organisations(world):
    client = _client(world.outsider)
    base = f"/allocations/{world.allocation.pk}/jobs/templates/"
    assert client.get(base).status_code == 404
    assert client.get(base + "shell/").status_code == 404
    assert client.get(base + "shell/preview/").status_code == 404
    assert Client().get(base).status_code == 302


@pytest.mark.django_db
def test_submitting_a_template_creates_the_job(world):
    client = _client(world.owner)
    response = client.post(f"/allocations/{world.allocation.pk}/jobs/templates/hf-finetune/", {
        "name": "ft", "factory": world.factory.pk, "gpus": 1, "walltime_minutes": 10,
        "r_model": "org/m", "r_dataset": "data.jsonl", "r_epochs": "1",
        "r_output_dir": "out"})
    job = Job.objects.filter(name="ft").get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.script.startswith("#!/bin/bash")
    assert job.container_image == CONTAINERS[CUDA]


@pytest.mark.django_db
def test_bad_template_values_are_shown_not_submitted(world):
    client = _client(world.owner)
    response = client.post(f"/allocations/{world.allocation.pk}/jobs/templates/hf-finetune/", {
        "name": "ft", "factory": world.factory.pk, "gpus": 1, "walltime_minutes": 10,
        "r_model": "a b", "r_dataset": "d", "r_epochs": "1", "r_output_dir": "o"})
    assert response.status_code == 400
    assert "no spaces" in response.content.decode()
    assert not Job.objects.filter(name="ft").exists()


@pytest.mark.django_db
def test_observer_cannot_submit_from_a_template(world):
    client = _client(world.observer)
    response = client.post(f"/allocations/{world.allocation.pk}/jobs/templates/shell/", {
        "name": "x", "factory": world.factory.pk, "gpus": 1, "walltime_minutes": 10,
        "r_commands": "echo hi"})
    assert response.status_code == 403
