package redis_test

import (
	"os"
	"testing"

	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.MainRedis(m, &env)) }
