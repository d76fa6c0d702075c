package main

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

type sha256Writer struct{ hash.Hash }

func newSHA256() sha256Writer      { return sha256Writer{sha256.New()} }
func (h sha256Writer) hex() string { return hex.EncodeToString(h.Sum(nil)) }
