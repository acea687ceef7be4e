"""Tests of the lab's own process guards and of its controller (scripts/lablib), run by
`make test`.

Each test loads the real lab package afresh, points its folders at a temporary directory and
its ports at free ones (so it never touches a `make run` on this machine), and swaps the
programs it would start for `sleep` (the fixture is in scripts/lab_fixture.py). Standard
library only: `python3 scripts/test_lab.py`.
"""

import http.client
import importlib
import json
import socket
import sys
import time
import unittest
from pathlib import Path

from lab_fixture import LabFixture, fake_monitor, outward_address


class Lab(LabFixture):
    def test_a_second_run_is_refused_while_the_first_supervisor_lives(self):
        first = self.child(sys.executable, "-c", "import time; time.sleep(30)", "lab.py")
        (self.lab.PIDS / "run").write_text(str(first.pid))
        with self.assertRaises(SystemExit) as refused:
            self.lab.run()
        self.assertIn(f"`make run` is already running (pid {first.pid})", str(refused.exception))
        self.assertEqual(self.started(), [])

    def test_a_second_run_names_the_processes_already_up(self):
        posts = self.child()
        (self.lab.PIDS / "posts").write_text(str(posts.pid))
        with self.assertRaises(SystemExit) as refused:
            self.lab.run()
        self.assertIn("already running: posts", str(refused.exception))

    def test_a_taken_port_is_named_before_anything_starts(self):
        port = self.lab.PROCESSES["comments"]["port"]
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", port))
            squatter.listen()
            with self.assertRaises(SystemExit) as refused:
                self.lab.run()
        self.assertIn(f"port {port} (comments) is taken by another program",
                      str(refused.exception))
        self.assertEqual(self.started(), [])
        self.assertFalse((self.lab.PIDS / "run").exists())

    def test_a_failed_provisioning_stops_what_had_started(self):
        # PROVISION points at nothing, so provisioning fails right after nats starts.
        with self.assertRaises(SystemExit) as refused:
            self.lab.run()
        self.assertIn("not provisioned", str(refused.exception))
        self.assertEqual(self.started(), [], "nats-server outlived the failed start")

    def test_a_taken_monitoring_port_is_named_too(self):
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", self.lab.MONITOR_PORT))
            squatter.listen()
            with self.assertRaises(SystemExit) as refused:
                self.lab.start("nats")
        self.assertIn(f"port {self.lab.MONITOR_PORT} (nats monitoring) is taken",
                      str(refused.exception))

    def test_reset_refuses_while_a_nats_server_uses_this_data_folder(self):
        store = self.lab.DATA / "nats" / "jetstream"
        store.mkdir(parents=True)
        with fake_monitor(self.lab.MONITOR_PORT, str(store)):
            with self.assertRaises(SystemExit) as refused:
                self.lab.reset()
        self.assertIn("nats-server is running with its store in", str(refused.exception))
        self.assertTrue(store.exists(), "reset wiped a running server's store")

    def test_reset_refuses_while_nats_runs_or_a_run_supervises(self):
        for name in ("nats", "run"):
            process = self.child(sys.executable, "-c", "import time; time.sleep(30)", "lab.py")
            (self.lab.PIDS / name).write_text(str(process.pid))
            with self.assertRaises(SystemExit):
                self.lab.reset()
            self.assertTrue(self.lab.PIDS.exists(), f"reset went ahead while {name} ran")
            (self.lab.PIDS / name).unlink()

    def test_reset_refuses_while_a_nats_server_runs_from_this_checkout(self):
        # A nats-server whose pid file is lost, running from this checkout (as `make run`
        # starts it, with nats.conf's relative `data/nats`). A copy of `sleep` named so.
        fake = self.root / "nats-server"
        fake.write_bytes(Path("/bin/sleep").read_bytes())
        fake.chmod(0o755)
        server = self.child(str(fake), "30", cwd=self.root)
        (self.lab.DATA / "nats").mkdir(parents=True)
        with self.assertRaises(SystemExit) as refused:
            self.lab.reset()
        self.assertIn(f"(pid {server.pid})", str(refused.exception))
        self.assertTrue(self.lab.DATA.exists())

    def test_reset_goes_ahead_when_the_server_answering_is_another_checkouts(self):
        (self.lab.DATA / "nats").mkdir(parents=True)
        with fake_monitor(self.lab.MONITOR_PORT, "/somewhere/else/data/nats/jetstream"):
            self.lab.reset()
        self.assertFalse(self.lab.DATA.exists())

    def test_stopping_everything_survives_a_vanished_group_and_a_stale_pid_file(self):
        # posts: alive, but not a group leader (its group is gone), so killpg finds nothing.
        orphan = self.child(new_session=False)
        (self.lab.PIDS / "posts").write_text(str(orphan.pid))
        # comments: a stale pid file (the process is long gone).
        gone = self.child()
        gone.kill()
        gone.wait()
        (self.lab.PIDS / "comments").write_text(str(gone.pid))
        # query: an ordinary running process, stopped after the others.
        query = self.child()
        (self.lab.PIDS / "query").write_text(str(query.pid))
        self.lab.stop_all()
        for process in (orphan, query):
            process.wait(timeout=5)
        self.assertEqual(self.started(), [])


WEB_CLIENT = "http://127.0.0.1:3000"


class Controller(LabFixture):
    """The lab controller (lablib/controller.py) over the real lab's processes (`sleep`s)."""

    def setUp(self):
        super().setUp()
        from lablib import controller
        importlib.reload(controller)
        lab = controller.LabProcesses(self.lab.settings, self.lab.processes)
        self.server = controller.serve(lab, port=0, origins={WEB_CLIENT})
        self.port = self.server.server_address[1]
        self.lab.start("posts")

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        self.lab.stop_all()
        super().tearDown()

    def ask(self, method, path, origin=WEB_CLIENT, content_type="application/json",
            host="127.0.0.1", address="127.0.0.1"):
        """Sends a request; answers the status, the JSON body and the CORS origin allowed."""
        connection = http.client.HTTPConnection(address, self.port, timeout=10)
        headers = {"Host": f"{host}:{self.port}"}
        if origin:
            headers["Origin"] = origin
        body = None
        if method == "POST":
            headers["Content-Type"] = content_type
            body = b"{}"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        answer = (response.status, json.loads(response.read() or b"null"),
                  response.getheader("Access-Control-Allow-Origin"))
        connection.close()
        return answer

    def test_the_web_client_kills_and_starts_a_process(self):
        status, body, cors = self.ask("GET", "/lab")
        self.assertEqual((status, cors), (200, WEB_CLIENT))
        posts = next(p for p in body["processes"] if p["name"] == "posts")
        self.assertEqual((posts["running"], posts["kind"]), (True, "service"))
        self.assertIn("moderation-down", [s["id"] for s in body["scenarios"]])
        status, body, _ = self.ask("POST", "/lab/processes/posts/kill")
        self.assertEqual((status, body["running"]), (200, False), body)
        self.assertIsNone(self.lab.pid_of("posts"))
        status, body, _ = self.ask("POST", "/lab/processes/posts/start")
        self.assertEqual((status, body["running"]), (200, True), body)
        self.assertIsNotNone(self.lab.pid_of("posts"))

    def test_another_site_no_page_at_all_and_a_form_are_refused_and_change_nothing(self):
        for origin, content_type in [("http://evil.example", "application/json"),
                                     (None, "application/json"),
                                     (WEB_CLIENT, "text/plain")]:
            status, body, cors = self.ask("POST", "/lab/processes/posts/kill", origin=origin,
                                          content_type=content_type)
            self.assertEqual((status, cors), (403, None), f"{origin} {content_type}: {body}")
            self.assertTrue(body["error"], body)
            self.assertIsNotNone(self.lab.pid_of("posts"), f"{origin} {content_type} killed posts")
        status, body, cors = self.ask("GET", "/lab", origin="http://evil.example")
        self.assertEqual((status, cors), (403, None), body)
        self.assertIn("only the web client", body["error"])

    def test_a_host_name_rebound_to_this_machine_is_refused(self):
        status, body, _ = self.ask("POST", "/lab/processes/posts/kill", host="evil.example")
        self.assertEqual(status, 403, body)
        self.assertIsNotNone(self.lab.pid_of("posts"))

    def test_it_listens_on_this_machine_only(self):
        self.assertEqual(self.server.server_address[0], "127.0.0.1")
        outward = outward_address()
        if outward is None:
            self.skipTest("this machine has no address but 127.0.0.1")
        with self.assertRaises(OSError):
            self.ask("GET", "/lab", address=outward)

    def test_unknown_processes_actions_and_scenarios_are_404s(self):
        for path in ("/lab/processes/nobody/kill", "/lab/processes/posts/explode",
                     "/lab/scenarios/asteroid", "/lab/everything"):
            status, body, _ = self.ask("POST", path)
            self.assertEqual(status, 404, f"{path}: {body}")
            self.assertTrue(body["error"], body)


if __name__ == "__main__":
    unittest.main()
