"""An SMTP sink for tests/mail/two_processes.sh: aiosmtpd (a real SMTP server from PyPI)
writing every message it accepts as one .eml file into the folder given as the second
argument. Usage: python sink.py PORT FOLDER"""
import asyncio
import pathlib
import sys
import uuid

from aiosmtpd.controller import Controller


class Save:
    def __init__(self, folder):
        self.folder = pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = self.folder / f"{uuid.uuid4().hex}.eml"
        name.write_bytes(envelope.original_content or envelope.content)
        return "250 OK"


async def main(port, folder):
    controller = Controller(Save(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"sink listening on {port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
