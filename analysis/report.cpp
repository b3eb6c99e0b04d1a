#include "analysis/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "analysis/monte_carlo.h"
#include "analysis/svg_plot.h"

namespace tandem::analysis {
namespace {

std::string fixed(double v, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

std::string general(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.4g", v);
  return buffer;
}

// Availability as a percentage with enough digits to show the nines.
std::string percent(double availability) {
  const double down = 1.0 - availability;
  const int digits = down <= 0 ? 6 : std::clamp(static_cast<int>(-std::log10(down)) + 1, 2, 9);
  return fixed(availability * 100.0, digits) + " %";
}

configuration swept(int replicas, int tiebreakers, quorum_setting::kind quorum) {
  configuration c;
  c.replicas = replicas;
  c.tiebreakers = tiebreakers;
  c.quorum = {quorum, 0};
  return c;
}

plot availability_plot(const report_input& in) {
  // Node crashes only: with failing links every link is a state bit and five or six nodes would
  // make the chain far too large.
  plot p{"Unavailability vs replica count (node crashes)", "diskful replicas",
         "unavailability (share of time)", false, true, {}};
  const struct {
    const char* name;
    int tiebreakers;
    quorum_setting::kind quorum;
  } lines[] = {{"quorum off", 0, quorum_setting::kind::off},
               {"quorum majority", 0, quorum_setting::kind::majority},
               {"majority + tie-breaker", 1, quorum_setting::kind::majority}};
  for (const auto& line : lines) {
    plot_series s{line.name, {}, {}, {}, true};
    for (int replicas : in.sweep_replicas) {
      availability_params a = availability_of(in, swept(replicas, line.tiebreakers, line.quorum));
      a.link_mtbf_hours = 0;
      const double down = 1.0 - solve_availability(a).availability;
      s.x.push_back(replicas);
      s.y.push_back(std::max(down, 1e-15));  // a log axis cannot show an exact zero
    }
    p.series.push_back(std::move(s));
  }
  return p;
}

plot mttdl_plot(const report_input& in) {
  plot p{"MTTDL vs resync bandwidth", "resync bandwidth (MiB/s)", "MTTDL (years)", true, true, {}};
  for (int replicas : {2, 3}) {
    plot_series s{std::to_string(replicas) + " replicas", {}, {}, {}, true};
    for (double bandwidth : in.sweep_resync_mib_per_s) {
      durability_params d = durability_of(in, swept(replicas, 0, quorum_setting::kind::off));
      d.resync_mib_per_s = bandwidth;
      s.x.push_back(bandwidth);
      s.y.push_back(solve_durability(d).mttdl_years());
    }
    p.series.push_back(std::move(s));
  }
  return p;
}

void partition_section(const report_input& in, std::ostringstream& md) {
  md << "\n## Partitions: link and switch failures, up to " << in.max_failures << " at once\n\n"
     << "Each replica keeps quorum by the core's own vote (assuming it had quorum before). "
        "\"Two writable\" means a split brain is possible; with quorum on it must be 0.\n\n"
     << "| configuration | failure combinations | writable | I/O frozen | two writable |\n"
     << "|---|---:|---:|---:|---:|\n";
  for (const auto& c : in.configurations) {
    if (c.hosts.empty()) continue;
    const placement p{c.name, c.hosts, c.tiebreaker_hosts, c.quorum};
    const partition_report r = analyze_partitions(*in.network, p, in.max_failures);
    md << "| " << c.name << " | " << r.cases.size() << " | " << r.writable << " | " << r.frozen
       << " | " << r.two_writable << " |\n";
  }
}

struct validation_row {
  std::string name;
  double model = 0.0;
  availability_measurement measured;
};

void validation_section(const report_input& in, std::ostringstream& md, report_files& files) {
  const validation_settings& v = in.validation;
  md << "\n## Model vs simulation\n\n"
     << "The simulator (the real replication core in virtual time) runs with accelerated rates "
        "(node MTBF " << general(v.node_mtbf_hours) << " h, restart " << general(v.node_restart_hours)
     << " h; one model hour = 5 virtual seconds), " << v.runs << " seeded runs of "
     << general(v.hours_per_run) << " h per configuration. Unavailability is measured by a probe "
        "write every 25 ms of virtual time; the interval is a 95% Student-t interval over runs.\n\n"
     << "| configuration | model unavailability | simulation (95% CI) | relative error | "
        "agrees | split-brain events |\n|---|---:|---:|---:|---|---:|\n";
  plot chart{"Model vs simulation (unavailability)", "configuration #", "unavailability", false,
             false, {}};
  plot_series model_points{"model", {}, {}, {}, false};
  plot_series sim_points{"simulation (95% CI)", {}, {}, {}, false};
  int index = 0;
  for (const auto& c : in.configurations) {
    availability_simulation s;
    s.model = availability_of(in, c);
    s.model.link_mtbf_hours = 0;  // the simulation crashes nodes only
    s.model.node_mtbf_hours = v.node_mtbf_hours;
    s.model.node_restart_hours = v.node_restart_hours;
    s.model.resync_hours = 0.01;
    s.runs = v.runs;
    s.hours_per_run = v.hours_per_run;
    const double model = 1.0 - solve_availability(s.model).availability;
    const availability_measurement m = simulate_availability(s);
    const bool agrees = m.unavailability.covers(model);
    md << "| " << c.name << " | " << fixed(model, 4) << " | " << fixed(m.unavailability.mean, 4)
       << " ± " << fixed(m.unavailability.half_width_95, 4) << " | "
       << fixed(100.0 * (m.unavailability.mean - model) / model, 1) << " % | "
       << (agrees ? "yes" : "**no**") << " | " << m.split_brain_events << " |\n";
    ++index;
    model_points.x.push_back(index);
    model_points.y.push_back(model);
    sim_points.x.push_back(index + 0.1);
    sim_points.y.push_back(m.unavailability.mean);
    sim_points.error.push_back(m.unavailability.half_width_95);
  }
  chart.series = {model_points, sim_points};
  files.svgs["model-vs-simulation.svg"] = render_svg(chart);
  md << "\nConfiguration numbers follow the table order.\n\n![model vs simulation]"
        "(model-vs-simulation.svg)\n\nWhere \"agrees\" is no and split-brain events are reported "
        "with quorum on, the simulated replicas went StandAlone after a falsely detected split "
        "brain (see analysis/README.md); the model has no such state.\n";

  durability_simulation d;
  d.model.diskful_replicas = 2;
  d.model.disk_mtbf_hours = v.disk_mtbf_hours;
  d.model.disk_replace_hours = v.disk_replace_hours;
  d.runs = v.mttdl_runs;
  const durability_measurement m = simulate_durability(d);
  durability_params p = d.model;
  p.volume_size_gib = 0;
  p.disk_replace_hours += m.full_resync_hours;
  const double mttdl = solve_durability(p).mttdl_hours;
  md << "\nMTTDL, 2 replicas, disk MTBF " << general(v.disk_mtbf_hours) << " h, replacement "
     << general(v.disk_replace_hours) << " h plus the simulator's full resync ("
     << general(m.full_resync_hours) << " h): model " << fixed(mttdl, 3) << " h, simulation "
     << fixed(m.mttdl_hours.mean, 3) << " ± " << fixed(m.mttdl_hours.half_width_95, 3) << " h over "
     << m.losses << " data losses (" << (m.mttdl_hours.covers(mttdl) ? "agrees" : "**disagrees**")
     << ", relative error " << fixed(100.0 * (m.mttdl_hours.mean - mttdl) / mttdl, 1) << " %).\n";
}

}  // namespace

std::string headline_table(const report_input& in) {
  std::ostringstream md;
  md << "| configuration | replicas | tie-breaker | quorum | availability | downtime/year | "
        "split-brain-prone | MTTDL |\n|---|---:|---|---|---:|---:|---:|---:|\n";
  for (const auto& c : in.configurations) {
    const availability_result a = solve_availability(availability_of(in, c));
    const durability_result d = solve_durability(durability_of(in, c));
    md << "| " << c.name << " | " << c.replicas << " | " << (c.tiebreakers ? "yes" : "no") << " | "
       << to_string(c.quorum) << " | " << percent(a.availability) << " | "
       << general(a.unavailable_minutes_per_year()) << " min | "
       << general(a.split_brain_prone * 100.0) << " % | " << general(d.mttdl_years())
       << " years |\n";
  }
  return md.str();
}

report_files build_report(const report_input& in, bool with_simulation) {
  report_files files;
  std::ostringstream md;
  const rates& f = in.figures;
  md << "# " << in.title << "\n\nGenerated by tandem-analyze from the Markov models of "
        "analysis/ (states and assumptions: analysis/README.md).\n\n"
     << "Inputs: node MTBF " << general(f.node_mtbf_hours) << " h, restart "
     << general(f.node_restart_hours) << " h, link MTBF "
     << (f.link_mtbf_hours > 0 ? general(f.link_mtbf_hours) + " h" : std::string("(links never fail)"))
     << ", disk MTBF " << general(f.disk_mtbf_hours) << " h, disk replacement "
     << general(f.disk_replace_hours) << " h, volume " << general(f.volume_size_gib)
     << " GiB, resync " << general(f.resync_mib_per_s) << " MiB/s, "
     << general(f.dirty_gib_after_outage) << " GiB dirty after an outage.\n\n## Headline\n\n"
     << headline_table(in);
  files.svgs["availability-vs-replicas.svg"] = render_svg(availability_plot(in));
  files.svgs["mttdl-vs-bandwidth.svg"] = render_svg(mttdl_plot(in));
  md << "\n## Figures\n\n![availability vs replicas](availability-vs-replicas.svg)\n\n"
        "![MTTDL vs resync bandwidth](mttdl-vs-bandwidth.svg)\n";
  if (in.network) partition_section(in, md);
  if (with_simulation && in.validation.enabled) validation_section(in, md, files);
  files.markdown = md.str();
  return files;
}

}  // namespace tandem::analysis
