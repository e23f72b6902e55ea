f"{x:{y:{z}}}"
t"{a!r}"
