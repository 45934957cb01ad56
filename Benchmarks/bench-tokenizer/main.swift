print("bench-tokenizer: not built yet")
