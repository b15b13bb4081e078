// Types shared by the importers: real text from a Linux guest (lsvmbus, sysfs, dmesg, udevadm
// monitor, trace-cmd / ftrace) → a channel set, events and diagnostics. Plain JSON-able data.

export type ImportFormat = 'lsvmbus' | 'sysfs' | 'dmesg' | 'udev' | 'trace' | 'driverctl' | 'mixed';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['lsvmbus', 'sysfs', 'dmesg', 'udev', 'trace', 'driverctl', 'mixed'];

export interface ImportDiagnostic {
  /** 1-based line of the input. */
  line: number;
  /** 1-based column, when the problem is at a place in the line. */
  column?: number;
  message: string;
  /** error: a line of the format that contradicts itself or the rest; warning: a line not understood; info: a line kept but not about VMBus. */
  severity: 'error' | 'warning' | 'info';
}

/** One channel of a device as the log shows it (lsvmbus Rel_ID lines, sysfs channel_vp_mapping, channels/<relid>). */
export interface ImportedChannel {
  relid: number;
  targetCpu?: number;
  /** offer sub_channel_index, when the log gives it (sysfs channels/N/subchannel_id, trace vmbus_onoffer). */
  subchannelIndex?: number;
}

export interface ImportedDevice {
  /** Primary channel child_relid (lsvmbus "VMBUS ID", sysfs id, trace child_relid). */
  relid?: number;
  /** Canonical lower-case class GUID (if_type). */
  classGuid?: string;
  /** The simulator's class name (protocol classByGuid), e.g. netvsc. */
  className?: string;
  /** lsvmbus description ("Synthetic network adapter", "[Heartbeat]", "Unknown"). */
  description?: string;
  /** Canonical lower-case instance GUID (if_instance, the sysfs directory name). */
  instanceGuid?: string;
  /** Target CPU of each channel, primary first (lsvmbus -v, sysfs channel_vp_mapping). */
  targetCpus?: number[];
  /** All channels seen, primary first, sub-channels after it by relid. */
  channels?: ImportedChannel[];
  /** Number of sub-channels (channels after the primary). */
  subchannels?: number;
  /** sysfs `state` (0 OFFER, 1 OPENING, 2 OPEN, 3 OPENED), or what the log says happened ("rescinded", "rejected", "removed", "bound"). */
  state?: number | string;
  monitorId?: number;
  /** Linux driver bound to it (udev bind, dmesg "<driver> <instance>: ..."). */
  driver?: string;
  sysfsPath?: string;
  /** Offer fields a trace shows. */
  chnFlags?: number;
  connectionId?: number;
  mmioMegabytes?: number;
  isDedicatedInterrupt?: boolean;
  /** Why the guest refused the offer (dmesg "Invalid offer ..."). */
  rejectReason?: string;
  /** Other attributes seen (sysfs numa_node, vendor, device, modalias ...), as written. */
  attributes?: Record<string, string>;
  /** Input lines (1-based) that told something about this device, in order. */
  lines: number[];
}

export interface ImportedEvent {
  /** 1-based input line. */
  line: number;
  /** Event name: hv_trace.h name for trace input (vmbus_onoffer ...), a short id for the others (version, unknown-guid, add ...). */
  name: string;
  /** Seconds, as the log prints them (dmesg [   0.900032], udev KERNEL[6774.896615], trace timestamps). */
  time?: number;
  cpu?: number;
  task?: string;
  pid?: number;
  /** Parsed fields (numbers as numbers, GUIDs lower-case). */
  fields: Record<string, string | number>;
  /** The line's text after the prefix (timestamp, task, cpu) was taken off. */
  text: string;
}

export interface ImportedVersion {
  major: number;
  minor: number;
  /** VMBUS_MAKE_VERSION value. */
  value: number;
  line: number;
}

/** What the log says about the VM as a whole (used to guess the platform of a generated scenario). */
export interface ImportedFacts {
  /** "Establishing connection to the confidential VMBus" was logged, or a trace shows feature_flags 0x10. */
  confidentialVmbus?: { line: number };
  /** Lines that prove hardware isolation (an "... from the host supporting isolation" message, "Invalid offer relid=N: ..."). */
  isolation?: { line: number; text: string };
  /** Drivers registered (dmesg "registering driver X"). */
  drivers?: string[];
  /** lsvmbus verbosity detected: 0 (no flag), 1 (-v), 2 (-vv). */
  lsvmbusVerbosity?: 0 | 1 | 2;
  /** Commands seen on prompt lines (`azureuser@vm:~$ lsvmbus`). */
  commands?: { line: number; command: string }[];
  /** The guest could not connect ("Unable to connect to host"). */
  connectFailed?: { line: number; text: string };
}

export interface ImportResult {
  kind: ImportFormat;
  devices: ImportedDevice[];
  version?: ImportedVersion;
  events: ImportedEvent[];
  diagnostics: ImportDiagnostic[];
  facts: ImportedFacts;
  /** Lines kept but not understood (also reported as diagnostics). */
  unrecognized: { line: number; text: string }[];
  /** Number of non-empty lines read, and of those that were recognised. */
  stats: {
    lines: number; recognized: number; comments: number;
    /** Events read, also when they were streamed out and not kept in `events` (a large trace). */
    events?: number;
  };
  /** A mixed session: its parts (a prompt and its command's output) and the reader each was read with. */
  parts?: { from: number; to: number; command?: string; format?: Exclude<ImportFormat, 'mixed'> }[];
}
