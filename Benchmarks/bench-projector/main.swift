print("bench-projector: not built yet")
