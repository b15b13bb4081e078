// A large but valid scenario for the re-check benchmark: many devices, faults, stops and
// expectations, with comments, roughly `lines` lines long.
export function bigScenario(lines: number): string {
  const out: string[] = [
    '# Generated benchmark scenario',
    'scenario "bench"',
    'seed 42',
    '',
    'platform {',
    '  isolation snp',
    '  vps 8',
    '  design cpuid',
    '  max_version 6.0',
    '}',
    '',
    'paravisor {',
    '  present yes',
    '  confidential_vmbus yes',
    '}',
    '',
  ];
  const classes = ['storvsc', 'netvsc', 'hv_pci', 'timesync', 'heartbeat', 'shutdown'];
  let i = 0;
  while (out.length < lines - 40) {
    const name = `dev${i}`;
    out.push(`# device ${i}`);
    out.push(`device ${name} ${classes[i % classes.length]} {`);
    out.push(`  hosted_by ${i % 2 ? 'host' : 'paravisor'}`);
    if (i % 2 === 0) out.push('  flags confidential_ring_buffer');
    out.push(`  ring ${i % 3 ? '64k' : '128k 64k'}`);
    out.push(`  subchannels ${i % 4}`);
    out.push('}');
    out.push(`expect offer ${name} accepted${i % 2 === 0 ? ' with confidential ring' : ''}`);
    out.push(`expect channel ${name} open`);
    out.push(`fault delay on CHANNELMSG_OPENCHANNEL device ${name} us=${i}`);
    out.push(`stop s${i} at message CHANNELMSG_OFFERCHANNEL device ${name}`);
    out.push('');
    i++;
  }
  while (out.length < lines) out.push('# padding');
  return out.join('\n') + '\n';
}
