// The dashboard's charts, drawn with Chart.js from the JSON under /api/.
// Each canvas gets data-ready="true" once drawn (or data-error when the
// data could not be read), which the browser test waits for.
(function () {
  "use strict";

  function fail(canvas, err) {
    canvas.dataset.error = String(err);
    var p = document.createElement("p");
    p.className = "problem";
    p.textContent = "Không vẽ được biểu đồ / chart unavailable: " + err;
    canvas.parentNode.appendChild(p);
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.error || r.statusText);
        return body;
      });
    });
  }

  var history = document.getElementById("history-chart");
  if (history) {
    getJSON("/api/history?unit=" + encodeURIComponent(history.dataset.unit)).then(function (h) {
      new Chart(history, {
        type: "line",
        data: {
          labels: h.years.map(function (p) { return p.year; }),
          datasets: [
            {
              label: "Tỷ lệ số hóa / percent digitized",
              data: h.years.map(function (p) { return p.percent; }),
              borderColor: "#1565c0", backgroundColor: "#1565c0", tension: 0.2, spanGaps: true,
            },
            {
              label: "Chỉ tiêu / target",
              data: h.years.map(function (p) { return p.target; }),
              borderColor: "#c62828", backgroundColor: "#c62828", borderDash: [6, 4], pointRadius: 0,
            },
          ],
        },
        options: {
          animation: false, maintainAspectRatio: false,
          scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
          plugins: {
            tooltip: {
              callbacks: {
                afterLabel: function (ctx) {
                  var p = h.years[ctx.dataIndex];
                  return ctx.datasetIndex === 0 && p.name ? p.name + ": " + p.digitized + "/" + p.total : "";
                },
              },
            },
          },
        },
      });
      // Across the 2025 reorganisation one code may name two units.
      var names = [];
      h.years.forEach(function (p) {
        if (p.name && names.indexOf(p.name) < 0) names.push(p.name);
      });
      var note = document.getElementById("history-names");
      if (note && names.length > 1) {
        note.textContent = "Mã " + h.unit + " là / the code named: " + h.years.filter(function (p) { return p.name; })
          .map(function (p) { return p.year + " " + p.name; }).join(", ");
      }
      history.dataset.ready = "true";
    }).catch(function (err) { fail(history, err); });
  }

  var hours = document.getElementById("hours-chart");
  if (hours) {
    getJSON("/api/health").then(function (h) {
      new Chart(hours, {
        type: "bar",
        data: {
          labels: h.hours.map(function (x) {
            var d = new Date(x.hour);
            return String(d.getHours()).padStart(2, "0") + ":00";
          }),
          datasets: [{ label: "Trang mỗi giờ / pages per hour", data: h.hours.map(function (x) { return x.pages; }), backgroundColor: "#2e7d32" }],
        },
        options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
      hours.dataset.ready = "true";
    }).catch(function (err) { fail(hours, err); });
  }
})();
