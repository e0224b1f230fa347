"""How fast the emulator answers, so the pipeline's own benchmarks are never bound by it.

Prints the wall time of 100 sequential requests (one keep-alive connection, no latency asked) per endpoint of the
`reference` library, and of a mixed sequence like a pipeline run's. Figures, not assertions: this machine is shared.

    python benchmarks/emulator_throughput.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spotify_emulator import EmulatorServer


def _time_requests(session: requests.Session, urls: list[str]) -> float:
    started = time.perf_counter()
    for url in urls:
        answer = session.get(url, timeout=30)
        answer.raise_for_status()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds per endpoint; the median is printed")
    args = parser.parse_args()
    with EmulatorServer(profile="reference") as server:
        tokens = server.login()
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        truth = server.control("GET", "ground-truth")
        api = server.api_url
        big = max(truth["playlists"], key=lambda p: len(p["entries"]))["id"]
        track_ids = [t["id"] for t in truth["tracks"]]
        artist_ids = [a["id"] for a in truth["artists"]]
        single = {
            "GET /me": [f"{api}/me"] * 100,
            "GET /me/playlists (50)": [f"{api}/me/playlists?limit=50"] * 100,
            "GET /playlists/{id}/items (50)": [
                f"{api}/playlists/{big}/items?limit=50&offset={50 * (i % 25)}" for i in range(100)
            ],
            "GET /me/player/recently-played (50)": [f"{api}/me/player/recently-played?limit=50"] * 100,
            "GET /me/top/tracks (50)": [f"{api}/me/top/tracks?limit=50"] * 100,
            "GET /me/tracks (50)": [f"{api}/me/tracks?limit=50&offset={50 * (i % 9)}" for i in range(100)],
            "GET /tracks?ids= (50)": [
                f"{api}/tracks?ids={','.join(track_ids[50 * (i % 40) : 50 * (i % 40) + 50])}" for i in range(100)
            ],
            "GET /artists?ids= (50)": [
                f"{api}/artists?ids={','.join(artist_ids[50 * (i % 12) : 50 * (i % 12) + 50])}" for i in range(100)
            ],
            "GET /audio-features?ids= (100)": [
                f"{api}/audio-features?ids={','.join(track_ids[100 * (i % 20) : 100 * (i % 20) + 100])}"
                for i in range(100)
            ],
        }
        mixed = [urls[i % len(urls)] for i in range(12) for urls in single.values()][:100]
        single["mixed, like a pipeline run"] = mixed
        print(f"emulator, reference profile, 100 sequential requests, median of {args.repeat} rounds")
        print(f"{'endpoint':42} {'seconds':>8} {'requests/s':>11}")
        for name, urls in single.items():
            _time_requests(session, urls[:5])  # warm the connection and caches
            seconds = statistics.median(_time_requests(session, urls) for _ in range(args.repeat))
            print(f"{name:42} {seconds:8.3f} {100 / seconds:11.0f}")


if __name__ == "__main__":
    main()
