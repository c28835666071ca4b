"""Reference for bench/data-pipeline.ts: torchvision ImageFolder + PIL + DataLoader.

Decodes, resizes to size x size (Resize((s, s)), bilinear), converts and normalises every image of an
ImageFolder tree, epoch after epoch, and prints one JSON line:
{"epochs": [wall seconds...], "cpu": [CPU seconds of this process and its workers...], "images": n}.
Usage: data_pipeline_ref.py '{"root": DIR, "size": 224, "batch": 32, "workers": 2, "epochs": 3}'
"""
import json
import resource
import sys
import time

import torch
import torchvision.transforms as T
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder


def main():
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(1)  # the main process only collates; the workers do the image work
    tf = T.Compose([
        T.Resize((cfg["size"], cfg["size"])),
        T.ToTensor(),
        T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ])
    ds = ImageFolder(cfg["root"], transform=tf)
    # PyTorch's defaults otherwise (workers start per epoch and are joined at its end, so their CPU time
    # is counted by RUSAGE_CHILDREN; with fork the start-up is cheap).
    dl = DataLoader(ds, batch_size=cfg["batch"], shuffle=False, num_workers=cfg["workers"])
    epochs, cpu = [], []
    checksum = 0.0

    def cpu_now():
        a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    for _ in range(cfg["epochs"]):
        t0, c0 = time.perf_counter(), cpu_now()
        n = 0
        it = iter(dl)
        for x, y in it:
            n += x.shape[0]
            checksum += float(x[:, :, 0, 0].sum())
        del it  # exhausted: workers already shut down and joined
        epochs.append(time.perf_counter() - t0)
        cpu.append(cpu_now() - c0)
    print(json.dumps({"epochs": epochs, "cpu": cpu, "images": n, "checksum": checksum}))


if __name__ == "__main__":
    main()
