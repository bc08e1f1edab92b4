"""A test suite with its own HTTP server on loopback, as most real suites have one.

Run alone: python3 policy/examples/loopback_server_test.py
Under the gate: see policy/examples/loopback-server.yml and the README section
"Test suites with their own servers".
"""

import http.server
import threading
import unittest
import urllib.request


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from " + self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class LocalServerTest(unittest.TestCase):
    def setUp(self):
        # Port 0: the kernel picks a free port, different on every run.
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def get(self, path):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.base + path, timeout=5) as reply:
            return reply.status, reply.read()

    def test_hello(self):
        self.assertEqual(self.get("/hello"), (200, b"hello from /hello"))

    def test_two_requests(self):
        self.assertEqual(self.get("/a")[1], b"hello from /a")
        self.assertEqual(self.get("/b")[1], b"hello from /b")


if __name__ == "__main__":
    unittest.main()
