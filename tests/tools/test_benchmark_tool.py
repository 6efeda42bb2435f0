"""tools/analysis_tools/benchmark.py on the tiny config: every figure is
printed with its comparison, and wrong uses are refused in one line.

The ViT-B figures of the README come from the same script on the full-size
config; timing itself is not asserted (a shared machine has no stable speed).
"""
import re

import pytest
import torch

BENCHMARK = 'tools/analysis_tools/benchmark.py'
TINY = 'configs/ultrasam/ultrasam_vitt_phantom.py'
NUMBER = r'(\d+\.\d+)'


@pytest.fixture
def benchmark(load_script, repo, monkeypatch):
    """``benchmark(*args)``: the script's main in-process (from the
    repository root), with torch's thread count restored afterwards."""
    monkeypatch.chdir(repo)
    threads = torch.get_num_threads()
    yield lambda *args: load_script(BENCHMARK).main(list(args))
    torch.set_num_threads(threads)


def test_tiny_config_prints_encoder_decoding_and_training(benchmark, capsys):
    benchmark(TINY, '--reps', '1', '--threads', '1', '--compare-mmpretrain',
              '--bf16', '--train-instances', '2')
    out = capsys.readouterr().out
    assert '1 threads' in out and 'FastViTSAM encoder' in out
    for name in ('UltraSamPredictor.set_image', 'UltraSam training step'):
        seconds, per_second = map(float, re.search(
            rf'{re.escape(name)}\s+{NUMBER} s/image\s+{NUMBER} images/s',
            out).groups())
        assert seconds > 0 and per_second > 0
    # mmpretrain's ViTSAM with the same weights, ratio to ours, twice.
    assert len(re.findall(
        rf'with mmpretrain ViTSAM\s+{NUMBER} s/image.*ours / theirs = '
        rf'{NUMBER}x', out)) == 2
    assert re.search(
        rf'set_image, fp32 encoder\s+{NUMBER} s/image.*bf16 / fp32 = '
        rf'{NUMBER}x', out)
    relative = float(re.search(
        r'max \|bf16 - fp32 embedding\| / max \|fp32 embedding\|: (\S+)',
        out).group(1))
    assert 0 < relative < 0.05
    per_prompt = re.findall(
        rf'UltraSamPredictor.predict_batch\s+{NUMBER} ms/prompt', out)
    assert len(per_prompt) == 2 and all(float(ms) > 0 for ms in per_prompt)
    assert 'decoding 64 box prompts' in out
    assert re.search(r'peak memory growth during a step, UltraSam training '
                     rf'step: {NUMBER} GiB', out)
    assert out.count('load average') == 2


@pytest.mark.parametrize('args,message', [
    ((TINY, '--compare-sam', '--skip-train'),
     '--compare-sam needs a SAM architecture (ViT-B/L/H at 1024 px), got a '
     '96-d encoder'),
    (('configs/mae/mae_vit-tiny-p16_phantom.py', ),
     'builds a MAE; benchmark.py times UltraSam models'),
    ((TINY, '--checkpoint', 'no/such.pth'), 'checkpoint not found'),
    (('no/such_config.py', ), 'config file not found'),
])
def test_wrong_uses_are_one_line_errors(benchmark, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        benchmark(*args, '--reps', '1')
    error = str(exit_info.value.code) + capsys.readouterr().err
    assert message in error


def test_reps_must_be_positive(benchmark, capsys):
    with pytest.raises(SystemExit):
        benchmark(TINY, '--reps', '0')
    assert "expected a positive integer, got '0'" in capsys.readouterr().err
