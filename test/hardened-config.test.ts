/**
 * The rendered configuration leaves no control surface open: the AdminServer listens on loopback
 * only, the four-letter-word whitelist holds exactly the commands the pod's own scripts send, and
 * supervisord is reachable only through its private unix socket. Checked on the ConfigMaps of every
 * chart variant and of dist/, i.e. on the files the pods mount.
 */
import { ZooKeeperSettingsError } from '../lib';
import { fourLetterWordsSent, fourLetterWordsSentBy } from './support/four-letter-words';
import { parseIni } from './support/ini';
import { distObjects, synthChartVariants } from './support/outputs';
import { KubeObject, parseZooCfg, synthChart } from './support/synth';

const outputs = [...synthChartVariants().map((c) => ({ name: `chart '${c.name}'`, objects: c.objects })), ...distObjects()];

/** The data of every ConfigMap of one output whose files include `key` (zoo.cfg, supervisord.conf, probe.sh). */
function configMapsWith(objects: readonly KubeObject[], key: RegExp): { name: string; data: Record<string, string> }[] {
  return objects.filter((o) => o.kind === 'ConfigMap' && Object.keys(o.data ?? {}).some((k) => key.test(k)))
    .map((o) => ({ name: o.metadata.name, data: o.data }));
}

/** Every zoo.cfg of every output (voters' and observers'), parsed. */
const zooCfgs = outputs.flatMap((o) => configMapsWith(o.objects, /\.cfg$/).flatMap((cm) => Object.entries(cm.data)
  .filter(([file]) => file.endsWith('.cfg'))
  .map(([file, text]) => ({ output: o.name, where: `${o.name}: ${cm.name}/${file}`, cfg: parseZooCfg(text) }))));

test('every output has its zoo.cfg files, observers\' included, so the checks below cover them', () => {
  for (const o of outputs) expect({ output: o.name, has: zooCfgs.some((z) => z.output === o.name) }).toEqual({ output: o.name, has: true });
  expect(zooCfgs.some((z) => z.where.endsWith('/zoo-observer.cfg'))).toBe(true);
});

describe('the AdminServer', () => {
  test('is off or bound to 127.0.0.1 in every zoo.cfg: it has no authentication and prints every system property', () => {
    const exposed = zooCfgs.filter(({ cfg }) => cfg.get('admin.enableServer') !== 'false' && cfg.get('admin.serverAddress') !== '127.0.0.1');
    expect(exposed.map((z) => `${z.where}: admin.serverAddress=${z.cfg.get('admin.serverAddress') ?? '(unset: all addresses)'}`)).toEqual([]);
  });

  test('its port is neither a container port nor a Service port', () => {
    for (const o of outputs) {
      const adminPorts = new Set(zooCfgs.filter((z) => z.output === o.name).map((z) => Number(z.cfg.get('admin.serverPort') ?? 8080)));
      const containerPorts = o.objects.filter((x) => x.kind === 'StatefulSet')
        .flatMap((s) => s.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.containerPort)));
      const servicePorts = o.objects.filter((x) => x.kind === 'Service').flatMap((s) => s.spec.ports.flatMap((p: any) => [p.port, p.targetPort]));
      expect({ output: o.name, exposed: [...containerPorts, ...servicePorts].filter((p) => adminPorts.has(p)) }).toEqual({ output: o.name, exposed: [] });
    }
  });

  test.each([
    ['admin.serverAddress', '0.0.0.0'],
    ['admin.enableServer', 'true'],
    ['4lw.commands.whitelist', '*'],
  ])('additionalConfig cannot override %s', (key, value) => {
    expect(() => synthChart({ additionalConfig: { [key]: value } })).toThrow(ZooKeeperSettingsError);
  });
});

describe('the four-letter-word whitelist', () => {
  test('of every zoo.cfg is exactly what the scripts shipped beside it send: nothing missing, nothing unused', () => {
    const mismatches = outputs.flatMap((o) => {
      const [scripts, ...others] = configMapsWith(o.objects, /^probe\.sh$/);
      expect({ output: o.name, scriptsConfigMaps: 1 + others.length }).toEqual({ output: o.name, scriptsConfigMaps: 1 });
      const sent = fourLetterWordsSent(scripts.data);
      return zooCfgs.filter((z) => z.output === o.name)
        .map((z) => ({ where: z.where, whitelisted: (z.cfg.get('4lw.commands.whitelist') ?? '').split(',').sort(), sent }))
        .filter(({ whitelisted }) => whitelisted.join(',') !== sent.join(','));
    });
    expect(mismatches).toEqual([]);
  });

  test('is ruok,srvr (the probes), plus mntr where the exporter ships: never more', () => {
    const byExporter = zooCfgs.map((z) => z.cfg.get('4lw.commands.whitelist'));
    expect(new Set(byExporter)).toEqual(new Set(['ruok,srvr', 'ruok,srvr,mntr']));
  });

  describe('is compared with commands read from the scripts, which', () => {
    test('finds a command added to the probe script', () => {
      const probe = 'case $1 in\n  deep)\n    reply=$(four_letter_word stat)\n    ;;\nesac\n';
      expect(fourLetterWordsSentBy('probe.sh', probe)).toEqual(['stat']);
    });

    test('finds a command written straight to a /dev/tcp descriptor', () => {
      expect(fourLetterWordsSentBy('x.sh', 'exec 3<>/dev/tcp/127.0.0.1/2181\nprintf \'cons\' >&3\n')).toEqual(['cons']);
    });

    test('finds a command the exporter sends', () => {
      const exporter = 'with socket.create_connection((host, port)) as sock:\n    sock.sendall(b\'wchc\')\n';
      expect(fourLetterWordsSent({ 'probe.sh': 'four_letter_word ruok', 'exporter.py': exporter })).toEqual(['ruok', 'wchc']);
    });

    test('ignores commands named only in comments', () => {
      expect(fourLetterWordsSentBy('x.sh', '# four_letter_word dump would be expensive\nfour_letter_word ruok\n')).toEqual(['ruok']);
    });

    test('refuses a script that connects to ZooKeeper in a way it cannot read', () => {
      expect(() => fourLetterWordsSentBy('x.py', 's = socket.create_connection((h, p))\ns.sendmsg([CMD])\n')).toThrow(/teach/);
    });

    test('refuses a command ZooKeeper does not know', () => {
      expect(() => fourLetterWordsSentBy('x.sh', 'four_letter_word ping\n')).toThrow(/ping/);
    });
  });
});

describe('supervisord', () => {
  const confs = outputs.flatMap((o) => configMapsWith(o.objects, /^supervisord\.conf$/)
    .map((cm) => ({ output: o, where: `${o.name}: ${cm.name}`, conf: parseIni(cm.data['supervisord.conf']) })));

  test('every output ships a supervisord.conf', () => {
    expect(new Set(confs.map((c) => c.output.name))).toEqual(new Set(outputs.map((o) => o.name)));
  });

  test('has no HTTP control port, only a unix socket, which supervisorctl uses', () => {
    const open = confs.filter(({ conf }) => 'inet_http_server' in conf
      || !/^\/\S+\.sock$/.test(conf.unix_http_server?.file ?? '')
      || conf.supervisorctl?.serverurl !== `unix://${conf.unix_http_server.file}`);
    expect(open.map((c) => c.where)).toEqual([]);
  });

  test('keeps the socket private to its owner (no group or other permission bits)', () => {
    const modes = confs.map(({ where, conf }) => ({ where, chmod: conf.unix_http_server.chmod }));
    expect(modes.filter(({ chmod }) => !/^0?[0-7]{3}$/.test(chmod) || (Number.parseInt(chmod, 8) & 0o077) !== 0)).toEqual([]);
  });

  test('puts the socket on a writable in-memory volume of its own pod, not on a shared or mounted one', () => {
    const elsewhere = confs.flatMap(({ where, output, conf }) => {
      const socketDir = conf.unix_http_server.file.replace(/\/[^/]+$/, '');
      return output.objects.filter((o) => o.kind === 'StatefulSet').filter((sts) => {
        const spec = sts.spec.template.spec;
        const mount = spec.containers.flatMap((c: any) => c.volumeMounts ?? []).find((m: any) => m.mountPath === socketDir);
        const volume = spec.volumes.find((v: any) => v.name === mount?.name);
        return mount === undefined || mount.readOnly === true || volume?.emptyDir?.medium !== 'Memory';
      }).map((sts) => `${where}: ${sts.metadata.name}`);
    });
    expect(elsewhere).toEqual([]);
  });
});
