"""What the split-mode bench drivers share (bench/faults.py, bench/scale_out.py): the system as real processes
(`run.sh infra`, then api and worker JVMs on fixed ports), HTTP servers for fakes, unique audio, and multipart bodies.
Not a script: the drivers import it."""
import http.client
import http.server
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import time
import uuid
import wave

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "standalone", "target", "standalone-0.1.0-SNAPSHOT.jar")


def log(message):
    print(time.strftime("%H:%M:%S"), message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- fakes

class QuietServer(http.server.ThreadingHTTPServer):
    """Callers killed mid-request (the point of the drills) are not errors worth a traceback."""
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass


def send(handler, status, payload, headers=None, raw=None):
    data = raw if raw is not None else json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
    return status


def file_part(content_type, body):
    """The content of the multipart body's `file` part (empty when there is none)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return b""
    for part in body.split(b"--" + match.group(1).encode()):
        head, _, content = part.partition(b"\r\n\r\n")
        if b'name="file"' in head:
            return content[:-2] if content.endswith(b"\r\n") else content
    return b""


# ---------------------------------------------------------------- the system under test

class System:
    """The infrastructure (`run.sh infra` on `home`, on the ports given) and services started against it, each a
    process of its own whose output goes to `home`/<name>.log. `launcher` is the command a service is started with,
    before its mode (`api` or `worker`) and arguments: `run.sh` by default, which builds the jar when it is stale."""

    def __init__(self, home, ports, env=None, launcher=None):
        self.home = home
        self.ports = ports
        self.env = dict(os.environ, TRANSCRIBER_HOME=home, POSTGRES_PORT=str(ports["postgres"]),
                        KAFKA_PORT=str(ports["kafka"]), KAFKA_CONTROLLER_PORT=str(ports["controller"]),
                        S3_PORT=str(ports["s3"]), **(env or {}))
        self.launcher = launcher or [os.path.join(ROOT, "run.sh")]
        self.processes = {}
        self.service_args = []

    def start_infra(self):
        out = open(os.path.join(self.home, "infra.log"), "a")
        self.processes["infra"] = subprocess.Popen(self.launcher + ["infra"], cwd=ROOT, env=self.env, stdout=out,
                                                   stderr=subprocess.STDOUT)
        deadline = time.time() + 180
        while time.time() < deadline:
            text = open(os.path.join(self.home, "infra.log")).read()
            marker = text.rfind("local infrastructure is running")
            if marker >= 0:
                self.service_args = text[marker:].splitlines()[1].split()
                return
            if self.processes["infra"].poll() is not None:
                raise SystemExit("the infrastructure did not start:\n" + text[-3000:])
            time.sleep(0.5)
        raise SystemExit("the infrastructure did not start within 180 s")

    def launch(self, name, mode, port, args=(), env=None, wait=True):
        """Starts service `name` (`api` or `worker`) on `port`; waits for its readiness unless `wait` is false."""
        port_env = "PORT" if mode == "api" else "WORKER_PORT"
        out = open(os.path.join(self.home, name + ".log"), "a")
        self.processes[name] = subprocess.Popen(self.launcher + [mode] + self.service_args + list(args), cwd=ROOT,
                                                env=dict(self.env, **dict(env or {}, **{port_env: str(port)})),
                                                stdout=out, stderr=subprocess.STDOUT)
        if wait:
            wait_ready(port, name, self.home)

    def kill(self, name):
        process = self.processes.pop(name)
        process.send_signal(9)
        process.wait()

    def stop(self, name, seconds=60):
        process = self.processes.pop(name, None)
        if process:
            process.terminate()
            try:
                process.wait(seconds)
            except subprocess.TimeoutExpired:
                process.kill()

    def control(self, action, server):
        subprocess.run([os.path.join(ROOT, "run.sh"), action, server], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def stop_all(self, order):
        """Stops the processes named in `order`, one after the other, then any others (the infrastructure last)."""
        rest = [name for name in self.processes if name not in order and name != "infra"]
        for name in list(order) + rest + ["infra"]:
            self.stop(name)

    def sql(self, query):
        result = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.ports["postgres"]), "-U", "postgres",
                                 "-At", "-F", "\t", "-c", query], capture_output=True, text=True,
                                env=dict(os.environ, PGPASSWORD="postgres", PGCONNECT_TIMEOUT="5"))
        if result.returncode != 0:
            raise RuntimeError(result.stderr.strip())
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def api_key(self):
        return open(os.path.join(self.home, "api-key")).read().strip()


def ready(port):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/actuator/health/readiness")
        return connection.getresponse().status == 200
    except OSError:
        return False


def wait_ready(port, name, home, seconds=240):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if ready(port):
            return
        time.sleep(0.5)
    raise SystemExit(name + " did not become ready on port %d; see %s" % (port, home))


# ---------------------------------------------------------------- callers

def unique_wav(seconds=0.5, rate=16000):
    """Audio that no other job has: a tone with noise from a random seed (the upstream tells jobs apart by it)."""
    noise = random.Random(uuid.uuid4().int)
    frames = bytearray()
    for i in range(int(seconds * rate)):
        sample = int(8000 * (((i * 440 * 2) // rate) % 2 * 2 - 1)) + noise.randint(-2000, 2000)
        frames += struct.pack("<h", sample)
    return wav(bytes(frames), rate, 2)


def wav(frames, rate, width):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def multipart(fields, audio):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, name, value))
                     .encode())
    parts.append(('--%s\r\nContent-Disposition: form-data; name="file"; filename="clip.wav"\r\n'
                  'Content-Type: audio/wav\r\n\r\n' % boundary).encode() + audio + b"\r\n")
    parts.append(("--%s--\r\n" % boundary).encode())
    return "multipart/form-data; boundary=" + boundary, b"".join(parts)
