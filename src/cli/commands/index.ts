// Each subcommand module registers itself in ../cli's `commands` map when imported.
export {};
