/// Module placeholder until its stage lands.
