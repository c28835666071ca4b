"""Reference for bench/data-pipeline.ts: torchvision ImageFolder + PIL + DataLoader.

Decodes, resizes to size x size (Resize((s, s)), bilinear), converts and normalises every image of an
ImageFolder tree, epoch after epoch, and prints one JSON line: {"epochs": [seconds...], "images": n}.
Usage: data_pipeline_ref.py '{"root": DIR, "size": 224, "batch": 32, "workers": 2, "epochs": 3}'
"""
import json
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
    # persistent_workers keeps the worker processes between epochs: the kindest setting for the reference.
    dl = DataLoader(ds, batch_size=cfg["batch"], shuffle=False, num_workers=cfg["workers"],
                    persistent_workers=cfg["workers"] > 0)
    epochs = []
    checksum = 0.0
    for _ in range(cfg["epochs"]):
        t0 = time.perf_counter()
        n = 0
        for x, y in dl:
            n += x.shape[0]
            checksum += float(x[:, :, 0, 0].sum())
        epochs.append(time.perf_counter() - t0)
    print(json.dumps({"epochs": epochs, "images": n, "checksum": checksum}))


if __name__ == "__main__":
    main()
