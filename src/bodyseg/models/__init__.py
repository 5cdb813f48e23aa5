"""Every pretrained model bodyseg runs, one module each, loaded through one model-card module.

- :mod:`.card`: model cards (read, check the file's sha256, write) and the shipped weights folder.
- :mod:`.runtime`: LiteRT and ONNX Runtime sessions, and the numeric helpers inputs and outputs share.
- :mod:`.pose_detector`, :mod:`.face_detector`, :mod:`.pose_landmarks`, :mod:`.selfie`: MediaPipe's models.
- :mod:`.refiner`: our pose-conditioned refinement net; :mod:`.person_net`: our whole-image nets.

Segmenters compose these; nothing here knows about segmenters.

Example:
    >>> from bodyseg.models.card import shipped_cards
    >>> "pose_refiner" in shipped_cards()
    True
"""
