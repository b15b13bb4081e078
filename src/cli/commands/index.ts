// Each subcommand module registers itself in ../cli's `commands` map when imported.
import './decode';
import './encode';
import './run';
import './import';
import './faults';
import './check';
import './whatif';
export {};
