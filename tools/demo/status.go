package demo

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func alreadyExists(err error) bool { return status.Code(err) == codes.AlreadyExists }
