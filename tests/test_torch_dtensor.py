"""initlab.torch on sharded (DTensor) parameters: bit-identical to the unsharded model.

Spawns 2 and 4 CPU processes with the gloo backend on localhost. Each rank fills only its
local shard (``region=``); the gathered tensors must equal the unsharded result bit for bit
for every mesh (2; 4; 2x2), placement (Shard(0), Shard(1), Replicate()) and uneven row
counts (97 rows on 2 and 4 ranks).
"""

from __future__ import annotations

import os
import socket
import sys

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
pytest.importorskip("initlab.torch")

if not dist.is_available():  # pragma: no cover
    pytest.skip("torch.distributed is not available", allow_module_level=True)

nn = torch.nn

#: The initializers tried: elementwise (drawn per shard), blocked (gate pieces), 'torch',
#: and a non-elementwise one (whole tensor on each rank, sliced).
CASES = [(torch.float32, "kaiming_normal"), (torch.float32, "lecun_normal"),
         (torch.float32, "torch"), (torch.float32, "orthogonal"),
         (torch.bfloat16, "lecun_normal"), (torch.bfloat16, "orthogonal")]


def _model(dtype: torch.dtype) -> nn.Module:
    torch.manual_seed(0)
    return nn.ModuleDict({
        "fc": nn.Linear(45, 97),                              # 97 rows: uneven shards
        "lstm": nn.LSTMCell(13, 25),                          # (100, 13) in 4 gate blocks
        "emb": nn.Embedding(97, 10, padding_idx=50),          # padding row on some rank
        "mha": nn.MultiheadAttention(16, 2),                  # packed (48, 16) in 3 blocks
        "tiny": nn.Linear(5, 3),                              # fewer rows than 4 ranks
    }).to(dtype)


def _placements(kind: str, ndim: int, mesh_ndim: int) -> list:
    from torch.distributed.tensor import Replicate, Shard

    table = {"S0": Shard(0), "S1": Shard(1 if ndim > 1 else 0), "R": Replicate()}
    return [table[k] for k in kind.split("/")][:mesh_ndim]


def _region(offset: tuple[int, ...], shape: tuple[int, ...]) -> tuple[slice, ...]:
    return tuple(slice(o, o + n) for o, n in zip(offset, shape, strict=True))


def _worker(rank: int, world: int, port: int, meshes: list) -> None:
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.tensor import DTensor
        from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

        import initlab
        import initlab.torch as it

        initlab.set_threads(1)
        for mesh_shape, layouts in meshes:
            mesh = init_device_mesh("cpu", mesh_shape)
            for layout in layouts:
                for dtype, init in CASES:
                    reference = _model(dtype)
                    it.init_(reference, init, rng=7)
                    sharded = _model(dtype)
                    for path, p in list(sharded.named_parameters()):
                        owner_path, _, name = path.rpartition(".")
                        owner = sharded.get_submodule(owner_path)
                        placements = _placements(layout, p.ndim, len(mesh_shape))
                        shape, offset = compute_local_shape_and_global_offset(
                            p.shape, mesh, placements)
                        local = p.detach()[_region(offset, shape)].clone()
                        d = DTensor.from_local(local, mesh, placements, run_check=False,
                                               shape=p.shape, stride=p.stride())
                        setattr(owner, name, nn.Parameter(d, p.requires_grad))
                    it.init_(sharded, init, rng=7)
                    # all-gathers are slow on loaded machines: gather the whole model once per
                    # mesh, compare every other case shard by shard (the same property)
                    gather = (layout, dtype, init) == (layouts[0], *CASES[0])
                    for path, p in sharded.named_parameters():
                        want = reference.get_parameter(path).detach()
                        if gather:
                            got = p.full_tensor()
                        else:  # the local shard against its slice of the unsharded tensor
                            shape, offset = compute_local_shape_and_global_offset(
                                p.shape, mesh, p.placements)
                            got = p.to_local()
                            want = want[_region(offset, shape)]
                        if not torch.equal(got, want):
                            raise AssertionError(
                                f"rank {rank}: mesh {mesh_shape} {layout} {dtype} {init}: "
                                f"{path} differs from the unsharded tensor "
                                f"(max diff {(got.float() - want.float()).abs().max()})")
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn(world: int, meshes: list) -> None:
    import torch.multiprocessing as mp
    from torch.distributed.device_mesh import init_device_mesh  # noqa: F401
    from torch.distributed.tensor import DTensor  # noqa: F401

    import initlab.torch as it

    for dtype, init in CASES:  # warm up (lazy imports) before forking the ranks
        it.init_(_model(dtype), init, rng=0)

    # fork: the ranks inherit the imported torch and initlab instead of importing them again
    # (the start-up would dominate); each rank uses one intra-op thread
    mp.start_processes(_worker, args=(world, _free_port(), meshes), nprocs=world, join=True,
                       start_method="fork")


MESHES = {
    2: [((2,), ["S0", "S1", "R"])],
    4: [((4,), ["S0", "S1"]), ((2, 2), ["S0/S1", "S1/S0", "S0/S0", "R/S0", "S1/R"])],
}


def _run_in_fresh_process(world: int) -> None:
    """Fork the ranks from a fresh interpreter: the test process may have imported libraries
    that start threads (JAX warns that forking it may deadlock)."""
    import subprocess

    done = subprocess.run([sys.executable, __file__, str(world)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]


@pytest.mark.skipif(sys.platform == "win32", reason="gloo on localhost is tested on Linux")
def test_two_ranks_bit_identical():
    _run_in_fresh_process(2)


@pytest.mark.skipif(sys.platform == "win32", reason="gloo on localhost is tested on Linux")
def test_four_ranks_as_4_and_2x2_bit_identical():
    _run_in_fresh_process(4)


if __name__ == "__main__":
    _spawn(int(sys.argv[1]), MESHES[int(sys.argv[1])])
