package main

import _ "example.com/m/internal/service/a"

func main() {}
