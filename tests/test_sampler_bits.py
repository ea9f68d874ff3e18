"""Same bits for large arrays: the float32/float64/float16 samplers (uniform, normal,
truncated normal, both truncated-normal methods) over 3,000,001 values (11 full blocks and a
partial one, an odd tail), seeds 0 and 1. The digests were recorded before the samplers were
sped up; any change of a single bit fails. Digests depend on the machine kind (float32 SIMD
log/sin/cos), hence the fingerprint of ``tests/same_bits.py``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

import initlab
import same_bits  # tests/same_bits.py

SIZE = 3_000_001
RECORDED: dict[str, dict[tuple[str, str, int, tuple[tuple[str, float], ...]], str]] = {
    'x86_64 cpu family=25 model=17 vendor_id=AuthenticAMD numpy=2.4.6 scipy=1.17.1': {
    ('uniform', 'float32', 0, ()):
        '9b0e5782c32142e87c767761232a81f4f30d33c76c27f3152934987ac5c6d96a',
    ('uniform', 'float32', 0, (('high', 0.7), ('low', -0.3))):
        '1fb7756812d645dbbca0edf1fd444a8b5d1bf7022079bd6481a9148a52a9537d',
    ('normal', 'float32', 0, ()):
        '462a8dc683348f5098434d4272f52ced4d5cf3499b3b9fbf617178cf036affeb',
    ('normal', 'float32', 0, (('mean', 0.5), ('std', 0.02))):
        '60ab13d877c3b331229b0a4104ca0bbeb2b2486ef2db435676daaf5a4e8e14a4',
    ('truncated_normal', 'float32', 0, ()):
        '421d677e475e7265e9236435d23114c614d21b4f69b35bc84d60ae9b68cfb9d4',
    ('truncated_normal', 'float32', 0, (('lower', 2.5), ('upper', 4.0))):
        'a63799e3cd3b42f970c25d7434fb0afdbbb4bb6da453a30ce6b64d7553696f4a',
    ('uniform', 'float32', 1, ()):
        '0f3ff9628c8085eb4293e01c996e49cbf72930bd74dfe01c0a91ba4992eaa505',
    ('uniform', 'float32', 1, (('high', 0.7), ('low', -0.3))):
        'e6fae9239a86ec610a81f3bb5e6312c5eae5bb47e9d5d5cfcd03a803da752c19',
    ('normal', 'float32', 1, ()):
        '0eb9058feae6e7bf2ae3ddb776cab8d946a48d61c90b08ba38c3ae6f9d4f5db5',
    ('normal', 'float32', 1, (('mean', 0.5), ('std', 0.02))):
        '8d829df51b7c0cf89b9f2a2f0d66fc41b887c9fd69fc2d3f14f59a7d1a1ba0e6',
    ('truncated_normal', 'float32', 1, ()):
        'b76c472626cd0f4449a23aa90c95f17d186ab5422671a7202fc0e6f443d0db72',
    ('truncated_normal', 'float32', 1, (('lower', 2.5), ('upper', 4.0))):
        '9fe2dd2ab04ff7383ca0540d870399299217d47f4e02b4680cf9db2a7c38cf35',
    ('uniform', 'float64', 0, ()):
        'fd38917d0b806c6cc4db29ef7c89103219b21b3253fe7d1aa2a342eb065153c4',
    ('uniform', 'float64', 0, (('high', 0.7), ('low', -0.3))):
        'dcaf2ed85c553048752cf548a9c27f100d2044bb4876d661b4b069523ad0af71',
    ('normal', 'float64', 0, ()):
        '6f667e64b9b152ce02558f81c4b0c2193176420d4c26890618fa8416c063f763',
    ('normal', 'float64', 0, (('mean', 0.5), ('std', 0.02))):
        'b95531e395ca3d0bba14dcbb8bfa811db94d1aaa81d26c2d310206fdf0589d31',
    ('truncated_normal', 'float64', 0, ()):
        'b76ce29e6080fabf6d1f5f7fa704baa8081be36dd46b80576d2afbac2dffa601',
    ('truncated_normal', 'float64', 0, (('lower', 2.5), ('upper', 4.0))):
        '924a6226cd8bee552f27f04f9d87d546839a0523c81d634a4cbd6ef43cbf37a6',
    ('uniform', 'float64', 1, ()):
        'b89291196c20eafad5b0f037f7cb6edb51fc7e7c9406a6cea0fc9dde68f53355',
    ('uniform', 'float64', 1, (('high', 0.7), ('low', -0.3))):
        '7f6e963144dea9290d0588117673a6e3c9a177cc04c10ab1550466d30988f79b',
    ('normal', 'float64', 1, ()):
        '483c9538f2e5ba478419cb7198be75c164f84902e03a034b7a4060f12a1cd98f',
    ('normal', 'float64', 1, (('mean', 0.5), ('std', 0.02))):
        '8dd97052d2b23559ae0110d0633a9d0e43e054f3089a96a4e3708fc2d2d2cb36',
    ('truncated_normal', 'float64', 1, ()):
        '2ece1ad44c9c245d22df3b393a53e9b8865faa2734d389a5171c272f3119806a',
    ('truncated_normal', 'float64', 1, (('lower', 2.5), ('upper', 4.0))):
        '2897cbc6deb04054b5025999d37cc932b37ce965eafe562a99424a5154c430c7',
    ('uniform', 'float16', 0, ()):
        'a181cdd19672fa607dac718dc6b2527b7633d84b7e53eef132f77c808abc6a4b',
    ('uniform', 'float16', 0, (('high', 0.7), ('low', -0.3))):
        '24b6186405e5bfde1cd8f917d5acdfacc5e7f7a4d1dbced6d97320ccb2e155af',
    ('normal', 'float16', 0, ()):
        '78fd74c6461bc117b93493de81a341285ebb951a791385825d8997cbe080fe25',
    ('normal', 'float16', 0, (('mean', 0.5), ('std', 0.02))):
        'a550c69bbf84c28a65ca2902f993a0691949e392cf8d985cfeb41e0aa9b65d26',
    ('truncated_normal', 'float16', 0, ()):
        '171f5d1947cf76d872275672c38e662f5ef9c0b3ae315c53ca991b1d8abf0c70',
    ('truncated_normal', 'float16', 0, (('lower', 2.5), ('upper', 4.0))):
        'a5d2db42520eb018593219841c4a8d37b416d0920b72f8aa72e5b24951ed7c1d',
    ('uniform', 'float16', 1, ()):
        'a53c000d32dd02d51f3d884451abf17def8ac6cec92fd88f6009700977c7ad94',
    ('uniform', 'float16', 1, (('high', 0.7), ('low', -0.3))):
        '1a68ecfa53f403b3a6b48a272c33bab1f21988cc2daf431aff767b37292903eb',
    ('normal', 'float16', 1, ()):
        '7500a618c9401f79d73ce4e4b29e9f67bf4bb4604182b85f6a6abe7f767b1a7c',
    ('normal', 'float16', 1, (('mean', 0.5), ('std', 0.02))):
        '57de4828fac7292c9ea0a8ccff973680327c54ca12f8062e7e6803828c126203',
    ('truncated_normal', 'float16', 1, ()):
        '6ae075f4f79dadf1a515e23340ac9fcd7336b38c1f5815955793259aba1333da',
    ('truncated_normal', 'float16', 1, (('lower', 2.5), ('upper', 4.0))):
        '61a401a9770627da02220eed89b9f9626cbeb304780a5f73afe16ed775e1a787',
    },
}
DIGESTS = RECORDED.get(same_bits.fingerprint())
pytestmark = pytest.mark.skipif(
    DIGESTS is None, reason=f"no sampler digests recorded for {same_bits.fingerprint()!r}")


@pytest.mark.parametrize("case", sorted(next(iter(RECORDED.values()))), ids=str)
def test_large_array_digest_unchanged(case: tuple[str, str, int, tuple[tuple[str, float], ...]]
                                      ) -> None:
    assert DIGESTS is not None
    name, dtype, seed, kwargs = case
    extra: dict[str, Any] = dict(kwargs)
    values = getattr(initlab, name)((SIZE,), dtype=dtype, rng=seed, threads=1, **extra)
    assert hashlib.sha256(values.tobytes()).hexdigest() == DIGESTS[case]
