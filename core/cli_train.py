"""The training commands of the ``ganforge`` CLI: train, sample, params, demo.

``add_commands(group)`` adds them to a click group; ``ganforge.cli`` calls it after the
registry is loaded with the global plugin options.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import click
import torch
import yaml

from . import registry as _registry
from .cli_types import SEED
from .condition import Condition
from .config import Experiment, counting_data, from_dict, load_config, resolve_tree, verify
from .errors import ConfigError, GanforgeError
from .report.html import read_metrics
from .report.rows import conditional_rows, row_names, save_rows, saved_message
from .scenes import labels_condition

DEMO_STEPS = 300  # synthetic_demo.yaml's: 64x64, minutes on a CPU pair (docs/results.md, "The demo")
DEMO_CONFIG = "synthetic_demo.yaml"
SET_HELP = "Override a config value: --set train.steps=100 (repeatable; values parse as YAML)."
METRICS_HELP = ("Metrics: names or YAML specs, comma-separated or repeated: --metrics psnr,ssim "
                "--metrics '{type: fid, network: synthetic}'.")


def parse_metric_specs(values: Sequence[str]) -> list:
    """Metric specs from ``--metrics`` values: each is a YAML flow sequence without its
    brackets, so ``psnr,ssim`` gives two names and ``{type: fid, network: synthetic}`` one spec."""
    specs: list = []
    for text in values:
        try:
            items = yaml.safe_load(f"[{text}]")
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(f"--metrics {text!r}: not names or YAML specs ({problem})") from None
        for item in items:
            if item is None:
                continue
            if not isinstance(item, (str, dict)):
                raise ConfigError(f"--metrics {text!r}: {item!r} is neither a metric name nor a {{type: ...}} spec")
            specs.append(item)
    return specs


def default_run_dir(config: str | Path) -> Path:
    """``runs/<config name>``: stable, so ``--resume`` finds it again."""
    return Path("runs") / Path(config).stem


def train_command(config: str, overrides: Sequence[str], out: str | None, resume: bool,
                  show_progress: bool = True, init: str | None = None) -> Path:
    from .trainer import train

    exp = load_config(config, overrides, check=False)  # the trainer checks it against the built dataset
    run_dir = Path(out) if out else default_run_dir(config)
    train(exp, run_dir, resume=resume, show_progress=show_progress, source=str(config), init=init)
    return run_dir


print_config_opt = click.option(
    "--print-config", is_flag=True,
    help="Print the config as it is validated (bases merged, --set applied, ${...} replaced) and stop.")


def print_resolved(config: str, overrides: Sequence[str]) -> None:
    """The resolved config as YAML, after checking that it validates."""
    tree = resolve_tree(config, overrides)
    from_dict(tree, str(config))
    click.echo(yaml.safe_dump(tree, sort_keys=False), nl=False)


def add_commands(group: click.Group) -> None:
    """Add ``train``, ``sample``, ``eval``, ``import``, ``params`` and ``demo`` to ``group``."""

    @group.command()
    @click.argument("config", type=click.Path(exists=True, dir_okay=False))
    @click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
    @click.option("--out", type=click.Path(file_okay=False), help="Run folder [default: runs/<config name>].")
    @click.option("--resume", is_flag=True, help="Continue from the latest checkpoint in the run folder.")
    @click.option("--init", type=click.Path(exists=True, dir_okay=False),
                  help="Fine-tune: start from the weights of this ganforge checkpoint (e.g. from `ganforge import`).")
    @click.option("--no-progress", is_flag=True, help="No progress bar (logs still go to metrics.jsonl).")
    @print_config_opt
    def train(config: str, overrides: tuple[str, ...], out: str | None, resume: bool, init: str | None,
              no_progress: bool, print_config: bool) -> None:
        """Train the experiment described by CONFIG (YAML)."""
        if print_config:
            return print_resolved(config, overrides)
        run_dir = train_command(config, overrides, out, resume, show_progress=not no_progress, init=init)
        if os.environ.get("RANK", "0") == "0":  # under torchrun, once
            click.echo(f"run folder: {run_dir}\nreport: {run_dir / 'index.html'}")

    @group.command()
    @click.argument("run_or_ckpt", type=click.Path(exists=True))
    @click.option("--n", "count", default=8, show_default=True, type=click.IntRange(1),
                  help="Images to generate from the dataset (with --labels: one per file).")
    @click.option("--out", type=click.Path(dir_okay=False), help="PNG grid [default: <run>/generated_step_N.png].")
    @click.option("--labels", multiple=True, type=click.Path(exists=True, dir_okay=False),
                  help="Label-map PNG (class ids as pixel values); repeat for several. "
                       "Without it, conditions come from the run's dataset (the synthetic world: a fresh seed).")
    @click.option("--instances", multiple=True, type=click.Path(exists=True, dir_okay=False),
                  help="Instance-map PNG (instance ids, 8 or 16 bit) for each --labels file, in the same order, "
                       "for runs trained with instance maps [default: each label map stands in].")
    @click.option("--seed", default=None, type=SEED,
                  help="Seed of the noise and of the synthetic world.")
    def sample(run_or_ckpt: str, count: int, out: str | None, labels: tuple[str, ...], instances: tuple[str, ...],
               seed: int | None) -> None:
        """Generate images with a trained run (its EMA generator when it has one)."""
        path = sample_command(run_or_ckpt, count, out, labels, seed, instances)
        click.echo(saved_message(path, row_names(path)))

    @group.command(name="eval")
    @click.argument("run_or_ckpt", type=click.Path(exists=True))
    @click.option("--metrics", multiple=True, help=METRICS_HELP + " Default: the run's eval.metrics.")
    @click.option("--batches", default=None, type=click.IntRange(1), help="Batches of the dataset (default: eval.batches).")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable: name -> value.")
    @click.option("--no-progress", is_flag=True, help="No progress bar (it shows only on a terminal anyway).")
    def evaluate(run_or_ckpt: str, metrics: tuple[str, ...], batches: int | None, as_json: bool,
                 no_progress: bool) -> None:
        """Evaluate a run or checkpoint with registered metrics (EMA generator, fixed batches)."""
        values = eval_command(run_or_ckpt, parse_metric_specs(metrics), batches, progress=not no_progress)
        if as_json:
            click.echo(json.dumps(values, indent=2))
            return
        for name, value in values.items():
            click.echo(f"{name}  {value:.6g}")

    @group.command(name="import")
    @click.argument("importer")
    @click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
    @click.option("--config", required=True, type=click.Path(exists=True, dir_okay=False),
                  help="The config the official networks were trained with (the plugin's configs/<dataset>.yaml).")
    @click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
    @click.option("--out", required=True, type=click.Path(dir_okay=False), help="The ganforge checkpoint to write.")
    def import_(importer: str, files: tuple[str, ...], config: str, overrides: tuple[str, ...], out: str) -> None:
        """Turn officially released weights FILES into a ganforge checkpoint. IMPORTER names
        the paper (spade, sean, stargan_v2 ...; an unknown name lists the installed ones);
        docs/checkpoints.md says which files and config each takes."""
        from .official import import_checkpoint

        path, imported = import_checkpoint(importer, files, config, out, overrides)
        roles = sorted(set(imported.models) | set(imported.ema))
        ema = f" (EMA: {', '.join(sorted(imported.ema))})" if imported.ema else ""
        click.echo(f"wrote {path}: {', '.join(roles)} from the official files{ema}")

    @group.command()
    @click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
    @click.option("--out", default="compare.html", show_default=True, type=click.Path(dir_okay=False),
                  help="The page with every curve of every run overlaid.")
    @click.option("--metrics", multiple=True, help=METRICS_HELP + " Computed afresh for each run's latest "
                  "checkpoint on the same evaluation batches; default: none (the logged numbers only).")
    @click.option("--batches", default=None, type=click.IntRange(1), help="Batches for --metrics (default: eval.batches).")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable tables on stdout.")
    def compare(runs: tuple[str, ...], out: str, metrics: tuple[str, ...], batches: int | None, as_json: bool) -> None:
        """Compare runs: metrics at matching steps, training scalars, overlaid curves in one page."""
        from . import compare as cmp
        from .files import atomic_write_bytes

        logs = cmp.load_runs(runs)
        specs = parse_metric_specs(metrics)
        if specs and not cmp.same_evaluation_data(logs):
            click.echo("warning: the runs' data configs differ: fresh metrics are not on the same images", err=True)
        fresh = cmp.fresh_metrics(logs, specs, batches) if specs else None
        atomic_write_bytes(out, cmp.render(logs, fresh).encode("utf-8"))
        if as_json:
            click.echo(cmp.to_json(logs, fresh))
            return
        if fresh:
            click.echo("fresh metrics (latest checkpoints, same evaluation batches)\n" + cmp.text_table(*fresh) + "\n")
        e_head, e_rows = cmp.eval_table(logs)
        if e_rows:
            click.echo("evaluation at the steps every run logged\n" + cmp.text_table(e_head, e_rows) + "\n")
        step, t_head, t_rows = cmp.train_table(logs)
        if t_rows:
            click.echo(f"training scalars at step {step} (mean of the last {cmp.TRAIN_WINDOW} logged values)\n"
                       + cmp.text_table(t_head, t_rows) + "\n")
        click.echo(f"curves: {out}")

    @group.command()
    @click.argument("config", type=click.Path(exists=True, dir_okay=False))
    @click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable: role -> {total, trainable}.")
    @print_config_opt
    def params(config: str, overrides: tuple[str, ...], as_json: bool, print_config: bool) -> None:
        """Build the networks CONFIG describes and print their parameter counts."""
        if print_config:
            return print_resolved(config, overrides)
        counts = params_command(config, overrides)
        if as_json:
            click.echo(json.dumps(counts, indent=2))
            return
        width = max(len(r) for r in counts) if counts else 4
        click.echo(f"{'ROLE'.ljust(width)}  {'TOTAL':>14}  {'TRAINABLE':>14}")
        for role, c in counts.items():
            click.echo(f"{role.ljust(width)}  {c['total']:>14,}  {c['trainable']:>14,}")

    @group.command()
    @click.option("--out", default="runs/demo", show_default=True, type=click.Path(file_okay=False))
    @click.option("--steps", default=DEMO_STEPS, show_default=True, type=click.IntRange(1),
                  help="Training steps (a sample grid every tenth of them).")
    @click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
    @click.option("--resume", is_flag=True, help="Continue an interrupted demo.")
    def demo(out: str, steps: int, overrides: tuple[str, ...], resume: bool) -> None:
        """The quickstart: SPADE on the synthetic world, a few minutes on CPU."""
        config = demo_config()
        click.echo(f"training {config} for {steps} steps into {out} (SPADE on the synthetic world, CPU)")
        every = max(1, steps // 10)
        demo_overrides = [f"train.steps={steps}", f"train.sample_every={every}",
                          f"train.checkpoint_every={max(1, steps // 2)}", f"train.eval_every={max(1, steps // 2)}",
                          f"train.log_every={max(1, every // 4)}", "train.device=cpu"]
        run_dir = train_command(str(config), [*demo_overrides, *overrides], out, resume)
        final = [r for r in read_metrics(Path(run_dir) / "metrics.jsonl") if r.get("kind") == "eval"]
        if final:
            click.echo(f"evaluation at step {final[-1]['step']}: " + ", ".join(
                f"{k} {v:.4g}" for k, v in final[-1].items() if k not in ("kind", "step", "time")))
        click.echo(f"done. Open {Path(run_dir).resolve() / 'index.html'} in a browser: label map | generated | real "
                   f"over the steps, and the curves. Log: {run_dir}/train.log, checkpoints: {run_dir}/checkpoints; "
                   f"compare two runs with `ganforge compare`.")


# -- params ------------------------------------------------------------------------------

def params_command(config: str, overrides: Sequence[str] = ()) -> dict[str, dict[str, int]]:
    """Role -> {"total", "trainable"} of the networks a config builds (no training)."""
    from .trainer import build_networks, parameter_counts
    from .weights import shapes_only

    exp = load_config(config, overrides, check=False)
    info, notes = counting_data(exp, source=str(config))
    for note in notes:
        click.echo(f"warning: {note}", err=True)
    with shapes_only():  # sizes do not depend on pretrained weights: none are read
        models, _ = build_networks(exp, info)
    return parameter_counts(models)


# -- demo --------------------------------------------------------------------------------

def demo_config() -> Path:
    """SPADE's synthetic_demo.yaml: from the installed ganforge_spade package, else the repo."""
    candidates = []
    try:
        import importlib.resources as resources

        candidates.append(Path(str(resources.files("ganforge_spade"))) / "configs" / DEMO_CONFIG)
    except (ModuleNotFoundError, TypeError):
        pass
    candidates.append(Path(__file__).resolve().parent.parent / "plugins" / "spade" / "configs" / DEMO_CONFIG)
    for path in candidates:
        if path.is_file():
            return path
    raise GanforgeError("the demo needs the SPADE plugin: `pip install -e plugins/spade` (looked for "
                        + ", ".join(str(c) for c in candidates) + ")")


# -- sample ------------------------------------------------------------------------------

def sample_command(run_or_ckpt: str, count: int, out: str | None, labels: Sequence[str] = (),
                   seed: int | None = None, instances: Sequence[str] = ()) -> Path:
    """Load a checkpoint and write a PNG grid: the recipe's named rows for ``count`` scenes
    of the run's dataset (``label map``, ``generated``, ``real`` ...), or the label maps in
    ``labels`` (with ``instances``, their instance maps) and the generator's images for
    them. Returns the PNG; the row names are written beside it as JSON (`row_names`)."""
    from .trainer.restore import open_checkpoint, output_folder

    ckpt_path, state, exp = open_checkpoint(run_or_ckpt)
    seed = exp.train.seed + 1 if seed is None else seed
    if instances and not labels:
        raise ConfigError("--instances: give the label maps they belong to with --labels")
    if labels:
        source = f"{ckpt_path} (config)"
        info = verify(exp, source=source)  # the data the networks were trained on: the same networks
        cond = labels_condition(labels, info, instances)
        images = conditional_rows(cond, _generate_from_labels(exp, info, state, cond, seed, source).float(), None)
    else:
        data_info, raw = _dataset_batch(exp, count, seed)
        info = verify(exp, data_info, source=f"{ckpt_path} (config)")
        images = _recipe_samples(exp, info, state, raw, seed, str(ckpt_path))
    target = Path(out) if out else output_folder(ckpt_path) / f"generated_step_{state['step']:08d}.png"
    return save_rows(images, target, columns=count)[0]


def _generate_from_labels(exp: Experiment, info, state: dict, cond: Condition, seed: int,
                          source: str) -> torch.Tensor:
    """The (EMA) generator on label (and instance) maps alone, through the run's
    conditioning path. There is no image, so the conditioners that read one are skipped;
    a generator needing more than the files and the other conditioners give is a clear
    error."""
    from .conditioning import image_free_fields
    from .trainer.restore import restore_networks

    reaching = info.model_copy(update={"fields": image_free_fields(exp, frozenset(cond))})
    _registry.check_requirements("generator", exp.models["generator"], reaching,
                                 f"{source}: models.generator (--labels: no image)")
    run, _ = restore_networks(exp, info, state)
    torch.manual_seed(seed)
    with torch.no_grad():
        return run.generate(cond, sampling=True)


def _recipe_samples(exp: Experiment, info, state: dict, raw: dict, seed: int, source: str):
    """What the recipe shows for a batch (``ganforge_prepare_batch`` then
    ``ganforge_sample``, the EMA copies standing in for their networks), exactly as the
    run's sample grids are made: StarGAN v2 maps z to styles, NICE-GAN translates both ways;
    a recipe without ``ganforge_sample`` gets the core's label map | generated | real rows."""
    from .trainer.data import to_run_batch
    from .trainer.restore import restore_networks
    from .trainer.samples import sample_rows

    run, parts = restore_networks(exp, info, state, source)
    batch = to_run_batch(raw, info, run.device, channels_last=False)
    torch.manual_seed(seed)
    with torch.no_grad():
        parts.pm.hook.ganforge_prepare_batch(run=run, batch=batch)
        return sample_rows(parts.pm.hook, run, batch)


# -- eval --------------------------------------------------------------------------------

def eval_command(run_or_ckpt: str, metrics: Sequence[str] = (), batches: int | None = None,
                 progress: bool = False) -> dict[str, float]:
    """The metrics (names, or the run's ``eval.metrics``) of a checkpoint on the first
    ``batches`` batches of its dataset, with the EMA generator: the same batches, noise
    and code as the run's periodic evaluation, so the numbers match metrics.jsonl.
    ``progress``: a bar over the batches on a terminal."""
    from .trainer.evaluation import metric_values
    from .trainer.restore import restore

    restored = restore(run_or_ckpt)
    exp, info, run, dataset = restored.config, restored.info, restored.run, restored.dataset
    specs = list(metrics) or list(exp.eval.metrics)
    if not specs:
        raise ConfigError(f"{restored.checkpoint}: no metrics: pass --metrics (e.g. psnr,ssim) or configure "
                          "eval.metrics")
    built = [_registry.build("metric", m, info, path=f"--metrics.{i}") for i, m in enumerate(specs)]
    loader = torch.utils.data.DataLoader(dataset, batch_size=exp.train.batch_size, shuffle=False,
                                         generator=torch.Generator().manual_seed(exp.train.seed))
    torch.manual_seed(exp.train.seed)
    with torch.no_grad():
        return metric_values(run, built, loader, info, batches or exp.eval.batches,
                             progress=progress)


def _dataset_batch(exp: Experiment, count: int, seed: int):
    """(DataInfo, a collated batch of ``count`` samples) of the run's dataset; a dataset
    with a ``seed`` param (the synthetic world) gets ``seed`` so the scenes are new ones."""
    spec = exp.data
    record, params = _registry.resolve("dataset", spec, "data")
    if "seed" in type(params).model_fields:
        spec = spec.model_validate({**spec.model_dump(), "seed": seed})
    dataset = _registry.build("dataset", spec, path="data")
    if len(dataset) < count:
        raise ConfigError(f"--n {count}: the dataset has only {len(dataset)} samples")
    return dataset.info(), torch.utils.data.default_collate([dataset[i] for i in range(count)])


