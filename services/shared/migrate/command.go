package migrate

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/lapor/lapor/services/shared/chdb"
	"github.com/lapor/lapor/services/shared/config"
)

// Command is the `migrate` subcommand of every Lapor binary (web, worker,
// detector): it applies the schema to the ClickHouse that c names, on one
// node or laid out over c's cluster, and says on stdout how many
// migrations it applied.
func Command(ctx context.Context, c config.Common, log *slog.Logger, stdout io.Writer) error {
	conn, err := chdb.Open(ctx, c)
	if err != nil {
		return err
	}
	defer conn.Close()
	applied, err := Apply(ctx, conn, log)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	log.Info("migrations up to date", "applied", len(applied))
	fmt.Fprintf(stdout, "applied %d migrations\n", len(applied))
	return nil
}
