print("bench-teacher: not built yet")
